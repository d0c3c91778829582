"""The local stack as a user runs it: `python -m devstack` in a process of its own, read from what it prints
and driven over HTTP (tests/local_stack, tests/browser)."""

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.template import ROOT

# A quiet machine starts the stack in about 5 s; beside the suite's heaviest tests on the other worker (the
# chaos test's threads and receivers' process), a fresh clone's run took over 30 s. Waiting longer costs
# nothing when it starts, and a stack that exits is seen at once.
STARTUP_SECONDS = 120
CALLBACK_SECONDS = 15
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
    environment_file: Path
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

    def find(self, pattern: str) -> re.Match[str]:
        """The first printed line (so far) that matches."""
        found = next((match for line in self.seen if (match := re.search(pattern, line))), None)
        assert found is not None, f"no line matching {pattern!r} in:\n{self.printed()}"
        return found

    def curls(self) -> dict[str, list[str]]:
        """Each webhook's printed curl command, by operation."""
        commands: dict[str, list[str]] = {}
        operation = ""
        for line in self.seen:
            if heading := re.match(r"(\w+): ", line):
                operation = heading.group(1)
            elif line.startswith("  curl ") and "/hooks/" in line:
                commands[operation] = shlex.split(line)
        return commands

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=15)


@contextmanager
def running_stack(folder: Path) -> Iterator[Running]:
    """`python -m devstack` on free ports in a process of its own, killed on the way out if still running."""
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    environment_file = folder / "environment.json"
    process = subprocess.Popen(  # noqa: S603 (this interpreter, on this repository's module)
        [sys.executable, "-m", "devstack", "--port", "0", "--environment-file", str(environment_file)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Running(process, environment_file)

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


def posted(command: list[str]) -> tuple[str, dict[str, str], bytes | None]:
    """The URL, headers and body a printed `curl -i URL -H ... [--data-binary BODY]` line sends."""
    url = next(part for part in command if part.startswith("http://"))
    headers = dict(command[index + 1].split(": ", 1) for index, part in enumerate(command) if part == "-H")
    body = command[command.index("--data-binary") + 1].encode() if "--data-binary" in command else None
    return url, headers, body
