"""Every function's init, as Lambda runs it (its handler module imported in a fresh interpreter): no pass of
the garbage collector during it, the collector on again after it, and what it built frozen out of later
passes (mailhooks.init_phase). No function imports pydantic: the admin API's not even once it described
every route. The inbound function's: none of the operations' modules imported, which an operation's first
use imports alone, and not Powertools' REST resolver, for its one route, nor pydantic once every operation
is imported. The authorizer's: no pydantic, even once it read a record. And Powertools' data classes only
where a resolver or the authorizer's policy needs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.template import ROOT, Stack

STACK = Stack.from_file()
FUNCTIONS = sorted(STACK.of_type("AWS::Serverless::Function"))
# Counted from the handler module's import: init_phase itself, and the interpreter's start, come first.
_INIT = """
import gc, json, sys
import mailhooks.init_phase
gc.collect()
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info["generation"]))
import {module}
data_classes = "aws_lambda_powertools.utilities.data_classes" in sys.modules
resolver = "aws_lambda_powertools.event_handler" in sys.modules
imported = {{"data_classes": data_classes, "resolver": resolver, "pydantic": "pydantic" in sys.modules}}
state = {{"passes": passes, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}
print(json.dumps({{**state, **imported}}))
"""
# The functions that read their events with Powertools' data classes, whose package imports every event
# source it knows: the admin API's REST resolver, which reads with them, and the authorizer, whose policy
# they build. The others read their one kind of event themselves (mailhooks.gateway, QueuedMessage.of).
DATA_CLASS_READERS = {"AuthorizerFunction"}
# pydantic, with its first model, was a third of a function's import, and Powertools' OpenAPI validation
# built on it more than half of the admin API's: every function's records are plain dataclasses
# (mailhooks.json_form), the inbound parameters and the admin API's bodies are read by mailhooks' own kinds
# (mailhooks.inbound.parameters, mailhooks.bodies).


# The admin API's OpenAPI document, made from every route's bodies and answers: still no pydantic.
_ADMIN_DOCUMENT = """
import json, sys
import app
admin = [name.rpartition(".")[2] for name in sys.modules if name.startswith("mailhooks.admin.")]
resources = [name for name in admin if name != "base"]
from mailhooks.admin import import_routes
from mailhooks.admin.base import ROUTES
from mailhooks.admin.docs import document
import_routes()
described = document()
schemas = described["components"]["schemas"]
pydantic = "pydantic" in sys.modules
state = {"at_init": resources, "routes": len(ROUTES), "schemas": len(schemas), "pydantic": pydantic}
print(json.dumps(state))
"""


# The operations' modules, which each operation's first use imports (mailhooks.inbound.operations).
_INBOUND_OPERATIONS = """
import json, sys
import app
from mailhooks.inbound.operations import NAMES, operation_named
def imported():
    return [name for name in NAMES if f"mailhooks.inbound.operations.{name}" in sys.modules]
at_init = imported()
resolver = "aws_lambda_powertools.event_handler" in sys.modules
operation_named("send_sms")
after_one = imported()
for name in NAMES:
    operation_named(name)
print(json.dumps({
    "names": len(NAMES), "at_init": at_init, "after_one": after_one, "resolver": resolver,
    "pydantic_after_all": "pydantic" in sys.modules,
}))
"""


# pydantic, which the authorizer's records (accounts and their keys, built at their first use) import no more.
_AUTHORIZER_PYDANTIC = """
import json, sys
import app
at_init = "pydantic" in sys.modules
from mailhooks import models
models.Account, models.ApiKey
print(json.dumps({"at_init": at_init, "after_a_record": "pydantic" in sys.modules}))
"""


@pytest.fixture(scope="module")
def bytecode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bytecode cache for the fresh interpreters, outside the tree: as Lambda imports a compiled layer,
    and so that each does not compile boto3, pydantic and the rest from source again (2 s each, where this
    machine writes no bytecode and the virtual environment is installed without it)."""
    return tmp_path_factory.mktemp("bytecode")


def _run(function: str, script: str, bytecode: Path) -> dict[str, object]:
    properties = STACK.properties(function)
    folder = ROOT / properties["CodeUri"]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    answer = subprocess.run(  # noqa: S603  # this interpreter, importing a handler of ours
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
        env={
            **environment,
            "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "layers" / "common")]),
            "PYTHONPYCACHEPREFIX": str(bytecode),
        },
    )
    state: dict[str, object] = json.loads(answer.stdout.splitlines()[-1])
    return state


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_init_runs_no_collection_and_leaves_what_it_built_frozen(
    function: str, bytecode: Path
) -> None:
    module, _, _ = STACK.properties(function)["Handler"].partition(".")
    state = _run(function, _INIT.format(module=module), bytecode)
    # Loading the module's own code may set off one pass of the youngest generation (under a millisecond)
    # before its first statement pauses the collector; without the pause, an init runs about a hundred.
    assert isinstance(state["passes"], list)
    assert len(state["passes"]) <= 1
    assert set(state["passes"]) <= {0}
    assert state["enabled"] is True
    # A handler imports tens of thousands of objects (boto3's alone is over 40,000).
    assert isinstance(state["frozen"], int)
    assert state["frozen"] > 10_000
    assert state["data_classes"] is (function in DATA_CLASS_READERS)
    # No Powertools REST resolver: the admin API finds its routes itself (mailhooks.admin.base), and the
    # other functions behind API Gateway have one route, or one per resource API Gateway found.
    assert state["resolver"] is False
    assert state["pydantic"] is False


def test_the_admin_function_imports_its_routes_when_asked_and_no_pydantic_even_to_describe_them(
    bytecode: Path,
) -> None:
    state = _run("AdminFunction", _ADMIN_DOCUMENT, bytecode)
    assert state["at_init"] == []
    assert isinstance(state["routes"], int)
    assert isinstance(state["schemas"], int)
    assert state["routes"] >= 25
    assert state["schemas"] >= 30
    assert state["pydantic"] is False


def test_the_inbound_function_init_imports_no_operation_nor_router_and_no_operation_imports_pydantic(
    bytecode: Path,
) -> None:
    state = _run("InboundFunction", _INBOUND_OPERATIONS, bytecode)
    assert state == {
        "names": 6,
        "at_init": [],
        "after_one": ["send_sms"],
        "resolver": False,
        "pydantic_after_all": False,
    }


def test_the_authorizer_imports_no_pydantic_at_init_nor_with_its_records(bytecode: Path) -> None:
    state = _run("AuthorizerFunction", _AUTHORIZER_PYDANTIC, bytecode)
    assert state == {"at_init": False, "after_a_record": False}
