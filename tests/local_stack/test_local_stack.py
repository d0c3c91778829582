"""The local stack as a user runs it: `python -m devstack` in a process of its own, driven over HTTP with
what it prints."""

import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.template import ROOT
from tests.support.local_stack import CALLBACK_SECONDS, Running, http, posted, running_stack


@pytest.fixture
def devstack(tmp_path: Path) -> Iterator[Running]:
    with running_stack(tmp_path) as running:
        yield running


def wait_for_callback(url: str, activity_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + CALLBACK_SECONDS
    while time.monotonic() < deadline:
        status, _, body = http("GET", url)
        assert status == 200
        found = [callback for callback in json.loads(body) if callback["body"]["activity_id"] == activity_id]
        if found:
            return dict(found[0])
        time.sleep(0.2)
    raise AssertionError(f"no callback of activity {activity_id} at {url} within {CALLBACK_SECONDS} s")


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
    assert (status, json.loads(answer)) == (404, {"error": "no webhook answers at this URL"})

    # No route at all: the template's gateway responses answer {"error"} too.
    nowhere = {"error": "nothing answers at this URL with this method"}
    for path in ("/hooks/a/b", "/nowhere"):
        status, _, answer = http("POST", f"{base_url}{path}", body, headers)
        assert (status, json.loads(answer)) == (404, nowhere)

    assert devstack.stop() == 0


def test_an_inbound_call_comes_back_signed_to_the_receiver_and_the_admin_api_wants_a_key(
    devstack: Running,
) -> None:
    base_url = devstack.read_until(r"Listening on (http://127\.0\.0\.1:\d+) ").group(1)
    callbacks_url = devstack.find(r"as JSON: (http://127\.0\.0\.1:\d+/callbacks\.json)").group(1)
    assert json.loads(devstack.environment_file.read_text())["MAILHOOKS_API_URL"] == base_url

    url, headers, body = posted(devstack.curls()["add_subscriber"])
    status, _, answer = http("POST", url, body, headers)
    assert status == 201, answer

    # The subscribe activity goes through the stream, the fan-out, the delivery queue and the deliverer.
    callback = wait_for_callback(callbacks_url, activity_id=4)
    assert callback["verified"] is True, callback
    assert callback["body"]["email"] == "ana@example.com"
    assert callback["webhook_id"].startswith("msg_")

    admin_line = devstack.find(r"^  (curl .*/admin/operations .*)$").group(1)
    admin_url, admin_headers, _ = posted(shlex.split(admin_line))
    assert admin_url == f"{base_url}/admin/operations"
    status, _, answer = http("GET", admin_url, headers=admin_headers)
    assert status == 200, answer
    assert "add_subscriber" in {operation["name"] for operation in json.loads(answer)}

    status, _, answer = http("GET", admin_url)
    assert status == 401
    assert set(json.loads(answer)) == {"error"}

    assert devstack.stop() == 0
    assert not devstack.environment_file.exists()


def test_make_demo_posts_the_samples_and_prints_the_callbacks(devstack: Running) -> None:
    devstack.read_until(r"Listening on ")
    demo = subprocess.run(  # noqa: S603 (this interpreter, on this repository's module)
        [sys.executable, "-m", "devstack.demo", "--environment-file", str(devstack.environment_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    assert re.search(r"add_subscriber +201 ", demo.stdout), demo.stdout
    # The subscribe, the unsubscribe, the SMS and the email come back, signed.
    assert len(re.findall(r"^  msg_\S+  verified  ", demo.stdout, re.MULTILINE)) >= 4, demo.stdout
    assert devstack.stop() == 0


def test_the_full_loop_over_http_from_the_admin_api_to_the_delivery_log(devstack: Running) -> None:
    """The admin API creates a webhook and an endpoint; a call to the webhook runs its operation; the
    callback arrives signed at the receiver; the webhook's stats and the endpoint's delivery log show it."""
    base_url = devstack.read_until(r"Listening on (http://127\.0\.0\.1:\d+) ").group(1)
    receiver_url = devstack.find(r"Receiver +(http://127\.0\.0\.1:\d+)/ ").group(1)
    callbacks_url = f"{receiver_url}/callbacks.json"
    _, key_headers, _ = posted(shlex.split(devstack.find(r"^  (curl .*/admin/operations .*)$").group(1)))
    json_headers = {**key_headers, "Content-Type": "application/json"}

    def admin(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        sent = None if body is None else json.dumps(body).encode()
        status, _, answer = http(method, f"{base_url}/admin{path}", sent, json_headers)
        return status, json.loads(answer) if answer else None

    status, endpoint = admin(
        "POST", "/endpoints", {"url": f"{receiver_url}/orders-crm", "activities": ["subscribe"]}
    )
    assert status == 201, endpoint
    status, webhook = admin(
        "POST",
        "/inbound-webhooks",
        {
            "name": "Checkout",
            "operation": "add_subscriber",
            "list_id": 2222,
            "sample_payload": {"customer": {"email": "buyer@example.com", "first_name": "Bo"}},
            "mapping": {"email": "/customer/email", "name": "/customer/first_name"},
        },
    )
    assert status == 201, webhook
    assert webhook["url"].startswith(f"{base_url}/hooks/")

    body = json.dumps({"customer": {"email": "lee@example.com", "first_name": "Lee"}}).encode()
    status, _, answer = http("POST", webhook["url"], body, {"Content-Type": "application/json"})
    assert status == 201, answer

    deadline = time.monotonic() + CALLBACK_SECONDS
    ours: list[dict[str, Any]] = []
    while not ours and time.monotonic() < deadline:
        time.sleep(0.2)
        ours = [
            callback
            for callback in json.loads(http("GET", callbacks_url)[2])
            if callback["webhook_id"].endswith(f"_{endpoint['id']}")
        ]
    assert ours, devstack.printed()
    [callback] = ours
    assert callback["verified"] is True
    assert (callback["body"]["activity_id"], callback["body"]["email"], callback["body"]["action_id"]) == (
        4,
        "lee@example.com",
        2222,
    )

    stats = admin("GET", f"/inbound-webhooks/{webhook['id']}")[1]["stats"]
    assert (stats["success_count"], stats["error_count"]) == (1, 0)
    status, page = admin("GET", f"/endpoints/{endpoint['id']}/deliveries?status=delivered")
    assert status == 200, page
    assert [delivery["webhook_id"] for delivery in page["deliveries"]] == [callback["webhook_id"]]
    assert devstack.stop() == 0
