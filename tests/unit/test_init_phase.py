"""Every function's init, as Lambda runs it (its handler module imported in a fresh interpreter): no pass of
the garbage collector during it, the collector on again after it, and what it built frozen out of later
passes (mailhooks.init_phase)."""

import json
import os
import subprocess
import sys

import pytest

from devstack.template import ROOT, Stack

STACK = Stack.from_file()
FUNCTIONS = sorted(STACK.of_type("AWS::Serverless::Function"))
# Counted from the handler module's first line: init_phase itself, and the interpreter's start, come first.
_INIT = """
import gc, json
import mailhooks.init_phase
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info["generation"]))
import {module}
print(json.dumps({{"passes": passes, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}))
"""


def _init(function: str) -> dict[str, object]:
    properties = STACK.properties(function)
    module, _, _ = properties["Handler"].partition(".")
    folder = ROOT / properties["CodeUri"]
    answer = subprocess.run(  # noqa: S603  # this interpreter, importing a handler of ours
        [sys.executable, "-c", _INIT.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "layers" / "common")])},
    )
    state: dict[str, object] = json.loads(answer.stdout.splitlines()[-1])
    return state


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_init_runs_no_collection_and_leaves_what_it_built_frozen(function: str) -> None:
    state = _init(function)
    assert state["passes"] == []
    assert state["enabled"] is True
    # A handler imports tens of thousands of objects (boto3's alone is over 40,000).
    assert isinstance(state["frozen"], int)
    assert state["frozen"] > 10_000
