"""Every function's init, as Lambda runs it (its handler module imported in a fresh interpreter): no pass of
the garbage collector during it, the collector on again after it, and what it built frozen out of later
passes (mailhooks.init_phase); and the admin function's, none of its routes' bodies built."""

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


# The admin routes' bodies, which their first request builds (mailhooks.admin.base.Body).
_ADMIN_BODIES = """
import json
import app
from mailhooks.admin.base import Body
bodies = Body.__subclasses__()
built = [body.__name__ for body in bodies if body.__pydantic_complete__]
print(json.dumps({"bodies": len(bodies), "built": built}))
"""


def _run(function: str, script: str) -> dict[str, object]:
    properties = STACK.properties(function)
    folder = ROOT / properties["CodeUri"]
    answer = subprocess.run(  # noqa: S603  # this interpreter, importing a handler of ours
        [sys.executable, "-c", script],
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
    module, _, _ = STACK.properties(function)["Handler"].partition(".")
    state = _run(function, _INIT.format(module=module))
    assert state["passes"] == []
    assert state["enabled"] is True
    # A handler imports tens of thousands of objects (boto3's alone is over 40,000).
    assert isinstance(state["frozen"], int)
    assert state["frozen"] > 10_000


def test_the_admin_function_init_builds_none_of_its_routes_bodies() -> None:
    state = _run("AdminFunction", _ADMIN_BODIES)
    assert isinstance(state["bodies"], int)
    assert state["bodies"] >= 20
    assert state["built"] == []
