"""What the benchmarks share: the template's resources on moto in this process, and counting AWS calls."""

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from moto import mock_aws

from devstack import moto_fixes
from devstack.provision import provision
from devstack.template import ROOT, Stack
from mailhooks.aws import aws
from mailhooks.settings import settings

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "1",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}


@contextmanager
def moto_stack(**environment: str) -> Iterator[Stack]:
    """Every resource of template.yaml on moto, and the functions' environment (plus overrides) set."""
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(FAKE_AWS)
    try:
        moto_fixes.apply()
        with mock_aws():
            stack = provision(Stack.from_file())
            quiet = {"POWERTOOLS_LOG_LEVEL": "ERROR"}  # the functions' logs would drown the figures
            os.environ.update({**stack.function_environment("InboundFunction"), **quiet, **environment})
            settings.cache_clear()
            aws.cache_clear()
            yield stack
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
        aws.cache_clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def local_stack() -> Iterator[dict[str, str]]:
    """make run's stack in a process of its own, and this process pointed at its AWS and API."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as directory:
        environment_file = Path(directory) / "environment.json"
        process = subprocess.Popen(  # noqa: S603  # this interpreter, running our local stack
            [sys.executable, "-m", "devstack", "--port", "0", "--environment-file", str(environment_file)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"},
        )
        try:
            deadline = time.monotonic() + 60
            while not environment_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local stack did not start")
                time.sleep(0.1)
            environment: dict[str, str] = json.loads(environment_file.read_text())
            os.environ.update(environment)
            settings.cache_clear()
            aws.cache_clear()
            yield environment
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
            os.environ.clear()
            os.environ.update(saved)
            settings.cache_clear()
            aws.cache_clear()


class TimedReceiver:
    """A receiver of callbacks on loopback that notes when each webhook-id arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        arrived = self.arrived

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived.setdefault(self.headers.get("webhook-id", ""), time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callbacks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def admin_api(api_url: str, key: str) -> Callable[[str, str, Any], Any]:
    """A caller of the local stack's admin API with an account's key; answers the JSON, or raises."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"

    def call(method: str, path: str, body: Any = None) -> Any:
        answer = session.request(method, f"{api_url}/admin{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    return call
