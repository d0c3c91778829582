"""Cold start as the caller waits on it: the CPU of the handler's import (Lambda's init) and of the first
call (the first invocation), apart, in a fresh interpreter, with the layer as bench.cold_start builds it, on
the local stack (bench.harness.local_stack): the inbound function's, for each operation's demo webhook; and
the admin API's, for a GET of each of four resources, whose routes that first request imports.

The two are given apart because Lambda does not run them alike: an invocation runs on its memory's share of
a vCPU (0.29 at the template's 512 MB), and its init, as measured by others (AWS does not document it), on
two unthrottled ones. A millisecond moved from the import into the first call, as an import on first use
does, may cost the caller more than it saves; one that no call needs saves it whole."""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from bench.cold_start import build_layer
from bench.harness import local_stack, median
from devstack.seed import ACCOUNT_ID, samples, webhook_name
from devstack.template import ROOT, Stack
from tests.support.admin import admin_event
from tests.support.helpers import hook_event

ROUNDS = 5
INBOUND, ADMIN = "InboundFunction", "AdminFunction"
# What an owner's console asks for first: the pages of webhooks, export endpoints and lists, and the
# operations a webhook can run.
ADMIN_PATHS = ("/admin/inbound-webhooks", "/admin/endpoints", "/admin/lists", "/admin/operations")
_COLD_START = """
import json, sys, time
event = json.loads(sys.stdin.read())
started = time.process_time()
import app
imported = time.process_time()
class Context:
    function_name = "{function}"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:{function}"
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self):
        return 10000
answer = app.handler(event, Context())
print(imported - started, time.process_time() - imported, answer["statusCode"])
"""


@contextmanager
def _first_events() -> Iterator[dict[str, dict[str, Callable[[], dict[str, Any]]]]]:
    """On the local stack, what makes each first event, by function. The inbound function's: each demo
    webhook's sample payload; a round adds the demo subscriber, unsubscribes it, then deletes it, so that
    each call of every round does its work. The admin API's: a GET of each of ADMIN_PATHS."""
    with local_stack():
        # Imported now, with the environment pointed at the local stack's tables.
        from mailhooks.store.inbound_webhooks import inbound_webhook_records

        tokens = {hook.name: hook.token for hook in inbound_webhook_records().inbound_webhooks(ACCOUNT_ID)}
        yield {
            INBOUND: {
                name: partial(hook_event, tokens[webhook_name(name)], sample.body, sample.content_type)
                for name, sample in samples().items()
            },
            ADMIN: {path: partial(admin_event, "GET", path, ACCOUNT_ID) for path in ADMIN_PATHS},
        }


def _cold_starts(
    function: str, events: dict[str, Callable[[], dict[str, Any]]], layer: str
) -> dict[str, dict[str, object]]:
    """The median import and first call of the function, for each first event, ROUNDS of each."""
    folder = str(ROOT / Stack.from_file().properties(function)["CodeUri"])
    environment = {
        **os.environ,
        "LAMBDA_TASK_ROOT": folder,
        "PYTHONPATH": os.pathsep.join([folder, layer]),
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_DISABLED": "1",
    }
    runs: dict[str, list[tuple[float, float, int]]] = {}
    for _ in range(ROUNDS):
        for name, event in events.items():
            answer = subprocess.run(  # noqa: S603  # this interpreter, running a handler of ours
                [sys.executable, "-S", "-c", _COLD_START.format(function=function)],
                input=json.dumps(event()),
                capture_output=True,
                text=True,
                check=True,
                env=environment,
                cwd=folder,
            )
            imported, first, status = answer.stdout.split()[-3:]
            runs.setdefault(name, []).append((float(imported), float(first), int(status)))
    failed = {name: run[2] for name, taken in runs.items() for run in taken if run[2] >= 300}
    if failed:
        raise RuntimeError(f"calls that did not succeed measure no cold start: {failed}")
    return {
        name: {
            "import_ms": round(median([run[0] for run in taken]) * 1000, 1),
            "first_call_ms": round(median([run[1] for run in taken]) * 1000, 1),
            "statuses": sorted({run[2] for run in taken}),
        }
        for name, taken in runs.items()
    }


def measure() -> dict[str, object]:
    layer = build_layer()
    with _first_events() as events:
        inbound, admin = (
            _cold_starts(INBOUND, events[INBOUND], layer),
            _cold_starts(ADMIN, events[ADMIN], layer),
        )
    return {"rounds": ROUNDS, "operations": inbound, "admin_requests": admin}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
