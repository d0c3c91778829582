"""Inbound cold start as its caller waits on it: the CPU of the handler's import (Lambda's init) and of the
first call (the first invocation), apart, in a fresh interpreter, for each operation's demo webhook on the
local stack (bench.harness.local_stack), with the layer as bench.cold_start builds it.

The two are given apart because Lambda does not run them alike: an invocation runs on its memory's share of
a vCPU (0.29 at the template's 512 MB), and its init, as measured by others (AWS does not document it), on
two unthrottled ones. A millisecond moved from the import into the first call, as an import on first use
does, may cost the caller more than it saves; one that no call needs saves it whole."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.cold_start import build_layer
from bench.harness import local_stack, median
from devstack.seed import ACCOUNT_ID, samples, webhook_name
from devstack.template import ROOT, Stack
from tests.support.helpers import hook_event

ROUNDS = 5
FUNCTION = "InboundFunction"
_COLD_START = """
import json, sys, time
event = json.loads(sys.stdin.read())
started = time.process_time()
import app
imported = time.process_time()
class Context:
    function_name = "InboundFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:InboundFunction"
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self):
        return 10000
answer = app.handler(event, Context())
print(imported - started, time.process_time() - imported, answer["statusCode"])
"""


@contextmanager
def _demo_events() -> Iterator[dict[str, Any]]:
    """On the local stack, what makes an event of each demo webhook's sample payload. A round adds the demo
    subscriber, unsubscribes it, then deletes it: each call of every round does its work."""
    with local_stack():
        # Imported now, with the environment pointed at the local stack's tables.
        from mailhooks.store.inbound_webhooks import inbound_webhook_records

        tokens = {hook.name: hook.token for hook in inbound_webhook_records().inbound_webhooks(ACCOUNT_ID)}
        yield {
            name: lambda sample=sample, name=name: hook_event(
                tokens[webhook_name(name)], sample.body, sample.content_type
            )
            for name, sample in samples().items()
        }


def measure() -> dict[str, object]:
    layer = build_layer()
    folder = str(ROOT / Stack.from_file().properties(FUNCTION)["CodeUri"])
    runs: dict[str, list[tuple[float, float, int]]] = {}
    with _demo_events() as events:
        environment = {
            **os.environ,
            "LAMBDA_TASK_ROOT": folder,
            "PYTHONPATH": os.pathsep.join([folder, layer]),
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "1",
        }
        for _ in range(ROUNDS):
            for name, event in events.items():
                answer = subprocess.run(  # noqa: S603  # this interpreter, running the inbound handler
                    [sys.executable, "-S", "-c", _COLD_START],
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
        "rounds": ROUNDS,
        "operations": {
            name: {
                "import_ms": round(median([run[0] for run in taken]) * 1000, 1),
                "first_call_ms": round(median([run[1] for run in taken]) * 1000, 1),
                "statuses": sorted({run[2] for run in taken}),
            }
            for name, taken in runs.items()
        },
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
