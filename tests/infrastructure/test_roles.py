"""Each function's role allows every AWS call the function makes. moto does not enforce IAM, so a call a role
lacks passes every other test and fails only once deployed: here the calls each handler makes while it
runs a flow through moto are recorded (operation, table or index, queue) and checked against the statements
SAM translates from template.yaml. The flows are those of export endpoints' health, which reach the most
places: the fan-out parking deliveries, the deliver function disabling, throttling and un-parking, the
review probing and warning, and the admin API recovering."""

import fnmatch
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.models import ActivityKind
from mailhooks.outbound.queue import MAX_HOLD_SECONDS
from mailhooks.settings import settings
from mailhooks.store.endpoint_health import health_records
from tests.support.admin import admin
from tests.support.health import Clock, Queue, endpoint, publish, run_review
from tests.support.receivers import Reply

# The deliver function's environment (the review's and the admin function's are the same but for names).
pytestmark = pytest.mark.usefixtures("deliver_function")


@dataclass(frozen=True)
class Call:
    action: str
    # The logical id of the table or queue called, with "/index" for a query of a table's index; None for
    # services whose resources are not the template's (SES identities, SMS numbers).
    resource: str | None


@contextmanager
def recording(stack: Stack) -> Iterator[list[Call]]:
    """The AWS calls made from now on, as IAM sees them."""
    # A table's or a queue's name or URL (its Ref) -> its logical id.
    by_name = {physical["Ref"]: logical for logical, physical in stack.physical.items() if "Arn" in physical}
    calls: list[Call] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        action = f"{model.service_model.signing_name}:{model.name}"
        transacted = [each["TableName"] for item in params.get("TransactItems", []) for each in item.values()]
        names = [
            params.get("TableName"),
            params.get("QueueUrl"),
            *params.get("RequestItems", {}),
            *transacted,
        ]
        suffix = "/index" if params.get("IndexName") else ""
        targets = [by_name[name] + suffix for name in names if name is not None]
        calls.extend(Call(action, target) for target in targets or [None])

    session = boto3._get_default_session()
    session.events.register("before-parameter-build.*.*", record)
    aws.cache_clear()  # clients copy the session's hooks when created
    try:
        yield calls
    finally:
        session.events.unregister("before-parameter-build.*.*", record)
        aws.cache_clear()


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource(resource: Any) -> str | None:
    """The logical id a statement's Resource names (with "/index" for a table's indexes), or None."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text, variables = (
            (resource["Fn::Sub"], {}) if isinstance(resource["Fn::Sub"], str) else resource["Fn::Sub"]
        )
        for name, value in variables.items():
            if text.endswith(f"${{{name}}}"):
                return _resource(value)
        if text.endswith(".Arn}/index/*"):
            return text.removeprefix("${").split(".")[0] + "/index"
    return None


def denied(resources: dict[str, Any], function: str, calls: list[Call]) -> list[Call]:
    """The calls the function's role, among the translated template's resources, does not allow."""
    role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
    grants = [
        (_listed(statement["Action"]), statement)
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]

    def allows(call: Call, actions: list[str], statement: dict[str, Any]) -> bool:
        if not any(fnmatch.fnmatchcase(call.action, action) for action in actions):
            return False
        if call.resource is None:
            return True
        return call.resource in {_resource(resource) for resource in _listed(statement.get("Resource", []))}

    return sorted(
        {
            call
            for call in calls
            if not any(allows(call, actions, statement) for actions, statement in grants)
        },
        key=str,
    )


@pytest.fixture
def invoke(stack: Stack, translated: dict[str, Any]) -> Callable[..., list[Call]]:
    """invoke(function, run): run the handler call(s) of one function, and answer the calls its role does
    not allow."""

    def checked(function: str, run: Callable[[], object]) -> list[Call]:
        with recording(stack) as calls:
            run()
        assert calls, f"{function} made no AWS call"
        return denied(translated, function, calls)

    return checked


def test_each_role_allows_the_calls_of_endpoint_health(
    invoke: Callable[..., list[Call]],
    queue: Queue,
    receiver: Any,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", "[]")  # a failure is final: dead-lettered
    settings.cache_clear()
    endpoint(receiver().url(), "throttled", [ActivityKind.CLICK], max_concurrency=1, max_per_second=5)
    endpoint(receiver(Reply(410)).url(), "gone", [ActivityKind.CLICK])
    endpoint(receiver(Reply(500)).url(), "failing", [ActivityKind.CLICK])
    endpoint(receiver(Reply(503), Reply(200)).url(), "parking", [ActivityKind.OPEN])
    health_records().open((12, "parking"), clock.at, clock.at + timedelta(seconds=60))

    # The fan-out queues the click and parks the opens; the deliver function delivers, throttles, disables
    # (telling the owner) and dead-letters.
    published = lambda: publish(ActivityKind.CLICK, ActivityKind.OPEN, ActivityKind.OPEN)  # noqa: E731
    assert invoke("FanOutFunction", published) == []
    assert invoke("DeliverFunction", queue.run_batches) == []

    # The review probes a parked delivery, which fails; the next probe, a new delivery, succeeds, and the
    # deliver function queues the parked one again.
    clock.advance(seconds=61)
    assert invoke("EndpointHealthFunction", run_review) == []
    assert invoke("DeliverFunction", queue.run_batches) == []
    clock.advance(seconds=MAX_HOLD_SECONDS)
    publish(ActivityKind.OPEN)
    assert invoke("DeliverFunction", queue.run_batches) == []

    # The review warns of the failing endpoint, then disables it; its owner recovers it.
    clock.advance(seconds=settings().endpoint_warn_after_seconds)
    assert invoke("EndpointHealthFunction", run_review) == []
    clock.advance(seconds=settings().endpoint_disable_after_seconds)
    assert invoke("EndpointHealthFunction", run_review) == []
    since = (clock.at - timedelta(days=29)).isoformat()
    answers: list[tuple[int, Any]] = []
    recover = lambda: answers.append(admin("POST", "/admin/endpoints/failing/recover", body={"since": since}))  # noqa: E731
    assert invoke("AdminFunction", recover) == []
    assert answers[0][0] == 202, json.dumps(answers[0][1])
    assert answers[0][1]["queued"] == 1
