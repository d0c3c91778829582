"""The local stack: `python -m devstack` as a user runs it, and the API Gateway events its front builds."""

import base64
import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devstack.apigateway import proxy_event
from devstack.routes import Router, routes
from devstack.template import ROOT, Stack

STARTUP_SECONDS = 30
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, bytes]:
    # Only the stack's own http URLs are opened here.
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)  # noqa: S310
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: "queue.Queue[str]" = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def read_until(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if found := re.match(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r}; the stack printed:\n" + "".join(self.seen))

    def printed(self) -> str:
        """Everything the stack printed so far, for a failure's message."""
        time.sleep(0.2)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)

    def curls(self) -> dict[str, list[str]]:
        """Each webhook's printed curl command, by operation."""
        commands: dict[str, list[str]] = {}
        operation = ""
        for line in self.seen:
            if heading := re.match(r"(\w+): ", line):
                operation = heading.group(1)
            elif line.startswith("  curl "):
                commands[operation] = shlex.split(line)
        return commands


@pytest.fixture
def devstack() -> Iterator[Running]:
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--port", "0"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Running(process)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def posted(command: list[str]) -> tuple[str, dict[str, str], bytes]:
    """The URL, headers and body a printed `curl URL -H ... --data-binary BODY` line sends."""
    url = next(part for part in command if part.startswith("http://"))
    headers = dict(command[index + 1].split(": ", 1) for index, part in enumerate(command) if part == "-H")
    body = command[command.index("--data-binary") + 1].encode()
    return url, headers, body


def test_make_run_serves_the_template_api_with_a_demo_webhook_per_operation(devstack: Running) -> None:
    base_url = devstack.read_until(r"Listening on (http://127\.0\.0\.1:\d+) ").group(1)
    curls = devstack.curls()
    url, headers, body = posted(curls["add_subscriber"])
    assert url.startswith(f"{base_url}/hooks/")

    status, _, answer = http("POST", url, body, headers)
    assert status == 201, devstack.printed()
    subscriber = json.loads(answer)
    assert isinstance(subscriber["id"], int)
    assert subscriber["email"] == "ana@example.com"

    status, answer_headers, _ = http("GET", url)
    assert status == 405
    assert answer_headers["Allow"] == "POST, HEAD"

    status, _, answer = http("POST", f"{base_url}/hooks/no-such-token", body, headers)
    assert status == 404, answer

    status, _, answer = http("GET", f"{base_url}/nowhere")
    assert (status, json.loads(answer)) == (403, {"message": "Missing Authentication Token"})

    devstack.process.send_signal(signal.SIGINT)
    assert devstack.process.wait(timeout=10) == 0


def test_proxy_event_has_the_shape_api_gateway_delivers() -> None:
    router = Router(routes(Stack.from_file()))
    body = b"email=ana%40example.com&name=Ana"
    request = Request(
        EnvironBuilder(
            path="/hooks/abc?x=1&x=2",
            method="POST",
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers={"Host": "127.0.0.1:3000", "User-Agent": "WordPress/6.7"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ).get_environ()
    )
    match = router.match("POST", "/hooks/abc")
    assert match is not None

    event = proxy_event(request, match, "request-1")

    def shape(value: Any) -> Any:
        return {key: shape(inner) for key, inner in value.items()} if isinstance(value, dict) else None

    production = json.loads((ROOT / "events" / "inbound_add_subscriber_form.json").read_text())
    assert shape(event["requestContext"]) == shape(production["requestContext"])
    assert set(event) == set(production)
    assert (event["resource"], event["path"], event["pathParameters"]) == (
        "/hooks/{token}",
        "/hooks/abc",
        {"token": "abc"},
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["requestContext"]["domainName"] == "127.0.0.1:3000"
    assert event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["requestId"] == "request-1"


@pytest.mark.parametrize(
    ("method", "path", "found"),
    [
        ("POST", "/hooks/abc", ("InboundFunction", {"token": "abc"})),
        ("DELETE", "/hooks/abc", ("InboundFunction", {"token": "abc"})),
        ("POST", "/hooks/abc/more", None),
        ("POST", "/hooks", None),
        ("GET", "/", None),
    ],
)
def test_routes_are_the_template_api_events(
    method: str, path: str, found: tuple[str, dict[str, str]] | None
) -> None:
    match = Router(routes(Stack.from_file())).match(method, path)
    assert (match and (match.route.function, match.path_parameters)) == found
