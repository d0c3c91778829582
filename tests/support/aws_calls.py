"""Every AWS call a function's handler makes, in every test, checked against the function's role.

moto does not enforce IAM: a permission a role lacks passes every test and fails only once deployed. So each
AWS request made through botocore while a handler runs (a frame of functions/<folder>/app.py is on the
stack, or the thread was handed its work by one) is recorded as (function, action, resource), and at the
end of the run each is checked against the statements SAM translates from template.yaml:
- a call that no statement of its function's role allows fails the run, naming the function, the action
  and the resource;
- after a run of the whole suite, every function whose role allows anything must have made calls, and
  every statement of every role must be needed by some call (without it, a call would be denied): a
  statement no call needs is reported and fails the run, unless Lambda itself uses it on the function's
  behalf (the on-failure destination of the function's event source, which the handler never calls).
Calls made by no handler (a test's setup, the tests' own triggers) are not the functions' and are left out.

On xdist, each worker writes what it recorded to the folder MAILHOOKS_AWS_CALLS names, and the controller
checks them all together."""

import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.client import BaseClient

from devstack import template

if TYPE_CHECKING:
    from tests.support.roles import Call

FOLDER = "MAILHOOKS_AWS_CALLS"
_HANDLER_FILE = re.compile(r"[/\\]functions[/\\](\w+)[/\\]app\.py$")
_inherited = threading.local()
# (function folder, action, resource name as the request names it)
_recorded: set[tuple[str, str, str | None]] = set()
_lock = threading.Lock()
# The sets of the recordings under way (recording()), which get each call too.
_listening: list[set[tuple[str, str, str | None]]] = []


@cache
def load() -> dict[str, Any]:
    """template.yaml, read once: the check reads it for every function, and a read costs a quarter second."""
    return template.load()


def _running_function() -> str | None:
    """The folder of the handler running in this thread, or of the one that handed this thread its work."""
    frame = sys._getframe(2)
    while frame is not None:
        found = _HANDLER_FILE.search(frame.f_code.co_filename)
        if found:
            return found[1]
        frame = frame.f_back
    folder: str | None = getattr(_inherited, "folder", None)
    return folder


# SQS authorizes a batch as the action of one message.
_AUTHORIZED_AS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# A transaction is authorized as the actions of its items.
_TRANSACTED = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _requests(action: str, params: dict[str, Any]) -> list[tuple[str, str | None]]:
    """What IAM authorizes of one request: (action, the table or queue it names, with "/index/<name>" for a
    table's index, or None when it names none)."""
    service = action.split(":")[0]
    if action == "ses:SendEmail" and "Raw" in params.get("Content", {}):
        action = "ses:SendRawEmail"  # SES v2 authorizes a raw message as SendRawEmail
    if action == "ses:CreateEmailIdentity" and params.get("Tags"):
        return [(action, None), ("ses:TagResource", None)]  # tagging as it creates is tagging too
    action = _AUTHORIZED_AS.get(action, action)
    if "TransactItems" in params:
        return [
            (f"{service}:{_TRANSACTED.get(kind, kind)}", str(item["TableName"]))
            for entry in params["TransactItems"]
            for kind, item in entry.items()
        ]
    suffix = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
    names = [params.get("TableName"), params.get("QueueUrl"), *params.get("RequestItems", {})]
    found = [str(name).rsplit("/", 1)[-1] + suffix for name in names if name]
    return [(action, name) for name in dict.fromkeys(found)] or [(action, None)]


def install() -> None:
    """Record from now on: every botocore client's requests, and the work handed to thread pools."""
    make_api_call = BaseClient._make_api_call
    submit = ThreadPoolExecutor.submit

    def recorded(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        folder = _running_function()
        if folder is not None:
            action = f"{self.meta.service_model.signing_name}:{operation_name}"
            calls = {(folder, *request) for request in _requests(action, api_params)}
            with _lock:
                for found in (_recorded, *_listening):
                    found.update(calls)
        return make_api_call(self, operation_name, api_params)

    def handed(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        folder = _running_function()

        def run(*inner: Any, **named: Any) -> Any:
            before = getattr(_inherited, "folder", None)
            _inherited.folder = folder
            try:
                return fn(*inner, **named)
            finally:
                _inherited.folder = before

        return submit(self, run, *args, **kwargs)

    BaseClient._make_api_call = recorded  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = handed  # type: ignore[method-assign]


@contextmanager
def recording() -> Iterator[set[tuple[str, str, str | None]]]:
    """What handlers call meanwhile (as (function folder, action, resource name))."""
    found: set[tuple[str, str, str | None]] = set()
    with _lock:
        _listening.append(found)
    try:
        yield found
    finally:
        with _lock:
            _listening.remove(found)


def calls_of(function: str, recorded: set[tuple[str, str, str | None]]) -> list["Call"]:
    """The calls of one function (by logical id) among those recorded, as its role sees them."""
    from tests.support.roles import Call

    known = set(load()["Resources"])
    folders = {logical: name for name, logical in functions().items()}
    return sorted(
        {
            Call(action, name if name and name.split("/")[0] in known else None)
            for function_folder, action, name in recorded
            if function_folder == folders[function]
        },
        key=str,
    )


def folder() -> Path:
    """Where this run's workers leave their calls: made by the first process of the run, inherited after."""
    if FOLDER not in os.environ:
        os.environ[FOLDER] = tempfile.mkdtemp(prefix="mailhooks-aws-calls-")
    return Path(os.environ[FOLDER])


def save(worker: str) -> None:
    (folder() / f"{worker}.json").write_text(json.dumps(sorted(_recorded, key=str)))


def functions() -> dict[str, str]:
    """Folder under functions/ -> the function's logical id, from the template's CodeUri."""
    return {
        str(spec["Properties"]["CodeUri"]).strip("/").split("/")[-1]: logical
        for logical, spec in load()["Resources"].items()
        if spec["Type"] == "AWS::Serverless::Function"
    }


def loaded() -> dict[str, list["Call"]]:
    """Every worker's calls, by function logical id."""
    recorded = {tuple(call) for saved in folder().glob("*.json") for call in json.loads(saved.read_text())}
    return {
        function: found
        for function in functions().values()
        if (found := calls_of(function, recorded))  # type: ignore[arg-type]
    }


def check(whole_suite: bool) -> list[str]:
    """What is wrong with the recorded calls, one line each: none when all is well."""
    from tests.support.roles import denied, listed, statements, translated, unused

    resources = translated()
    lines: list[str] = []
    by_function = loaded()
    for function, calls in sorted(by_function.items()):
        lines += [
            f"{function}'s role does not allow {call.action} on {call.resource or 'its resource'}"
            for call in denied(resources, function, calls)
        ]
        if whole_suite:
            destinations = _on_failure_destinations(function)
            for statement in unused(resources, function, calls):
                targets = {str(resource) for resource in listed(statement.get("Resource", []))}
                if destinations and all(any(d in target for d in destinations) for target in targets):
                    continue  # Lambda's event source sends there, not the handler
                lines.append(
                    f"{function}'s role has a statement no recorded call needs: {json.dumps(statement)}"
                )
    if whole_suite:
        # A function whose role allows nothing (the console's) has no statement a call should need.
        lines += [
            f"{function} made no AWS call in the whole suite"
            for function in sorted(set(functions().values()) - set(by_function))
            if statements(resources, function)
        ]
    return lines


def summary() -> str:
    return ", ".join(f"{function} {len(calls)}" for function, calls in sorted(loaded().items()))


def _on_failure_destinations(function: str) -> set[str]:
    """The logical ids of the queues the function's event sources, or Lambda's asynchronous invocation of
    it, send what fails to."""
    properties = load()["Resources"][function]["Properties"]
    found: set[str] = set()
    configs = [event.get("Properties", {}) for event in properties.get("Events", {}).values()]
    for config in [*configs, properties.get("EventInvokeConfig", {})]:
        destination = config.get("DestinationConfig", {}).get("OnFailure", {})
        target = destination.get("Destination")
        if isinstance(target, dict) and "Fn::GetAtt" in target:
            found.add(str(target["Fn::GetAtt"][0]).split(".")[0])
    return found
