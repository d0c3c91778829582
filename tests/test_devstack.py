"""The parts of the local stack, each on its own: API Gateway's events and authorizers, the pollers of the
template's triggers (on moto, in this process), the receiver of callbacks, and the logs in a terminal."""

import base64
import dataclasses
import io
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from standardwebhooks.webhooks import Webhook
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from devstack import demo, streams
from devstack.apigateway import proxy_event
from devstack.console import Console, render
from devstack.filters import EventFilter
from devstack.front import Front
from devstack.queues import QueuePoller
from devstack.receiver import JSON_ROUTE, Receiver
from devstack.routes import Router, routes
from devstack.schedules import SchedulePoller
from devstack.streams import StreamPoller
from devstack.template import ACCOUNT_ID, REGION, ROOT, Stack
from devstack.topics import TopicPoller
from devstack.triggers import QueueTrigger, ScheduleTrigger, StreamTrigger, TopicTrigger, triggers
from mailhooks.delivery import new_secret
from tests.helpers import load_event

Behaviour = Callable[[dict[str, Any]], Any]


class FakeFunctions:
    """Stands for the template's functions: each invocation is recorded, and answered by the behaviour the
    test gives the function (by default, a proxy result that echoes the event's requestContext.authorizer)."""

    def __init__(self, **behaviours: Behaviour) -> None:
        self.behaviours = behaviours
        self.calls: list[tuple[str, dict[str, Any]]] = []
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:"
        self.by_id = {name: SimpleNamespace(arn=arn + name) for name in behaviours}

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        self.calls.append((logical_id, event))
        if logical_id in self.behaviours:
            return self.behaviours[logical_id](event)
        return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}

    def events(self, logical_id: str) -> list[dict[str, Any]]:
        return [event for name, event in self.calls if name == logical_id]


def test_proxy_event_has_the_shape_api_gateway_delivers() -> None:
    router = Router(routes(Stack.from_file()))
    body = b"email=ana%40example.com&name=Ana"
    request = Request(
        EnvironBuilder(
            path="/hooks/abc?x=1&x=2",
            method="POST",
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers={"Host": "127.0.0.1:3000", "User-Agent": "WordPress/6.7"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ).get_environ()
    )
    match = router.match("POST", "/hooks/abc")
    assert match is not None

    event = proxy_event(request, match, "request-1")

    def shape(value: Any) -> Any:
        return {key: shape(inner) for key, inner in value.items()} if isinstance(value, dict) else None

    production = json.loads((ROOT / "events" / "inbound_add_subscriber_form.json").read_text())
    assert shape(event["requestContext"]) == shape(production["requestContext"])
    assert set(event) == set(production)
    assert (event["resource"], event["path"], event["pathParameters"]) == (
        "/hooks/{token}",
        "/hooks/abc",
        {"token": "abc"},
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["requestContext"]["domainName"] == "127.0.0.1:3000"
    assert event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["requestId"] == "request-1"


@pytest.mark.parametrize(
    ("method", "path", "found"),
    [
        ("POST", "/hooks/abc", ("InboundFunction", {"token": "abc"})),
        ("DELETE", "/hooks/abc", ("InboundFunction", {"token": "abc"})),
        ("POST", "/hooks/abc/more", None),
        ("POST", "/hooks", None),
        ("GET", "/", None),
    ],
)
def test_routes_are_the_template_api_events(
    method: str, path: str, found: tuple[str, dict[str, str]] | None
) -> None:
    match = Router(routes(Stack.from_file())).match(method, path)
    assert (match and (match.route.function, match.path_parameters)) == found


# The admin API's authorizer, as the front applies it

ROUTER = Router(routes(Stack.from_file()))
API_ID = ROUTER.routes[0].api.api_id
ADMIN_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/dev"


def policy(effect: str, resource: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "principalId": "1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}],
        },
        "context": context or {},
    }


def admin_client(authorizer: Behaviour) -> tuple[Client, FakeFunctions]:
    functions = FakeFunctions(AuthorizerFunction=authorizer)
    return Client(Front(ROUTER, functions)), functions  # type: ignore[arg-type]


def test_an_admin_call_without_the_identity_header_gets_the_template_401_and_no_authorizer() -> None:
    client, functions = admin_client(lambda event: policy("Allow", "*"))
    response = client.get("/admin/operations")
    assert response.status_code == 401
    assert response.json == {"error": "missing or unknown API key: send Authorization: Bearer <key>"}
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert functions.calls == []


def test_the_authorizer_gets_a_request_event_and_the_function_its_context_as_strings() -> None:
    allowed = policy("Allow", f"{ADMIN_ARN}/*/admin/*", {"account_id": 1, "paid": True, "plan": "paid"})
    client, functions = admin_client(lambda event: allowed)

    response = client.get("/admin/lists?limit=5", headers={"Authorization": "Bearer mhk_x"})

    assert response.status_code == 200
    assert response.json["principalId"] == "1"
    assert {key: response.json[key] for key in ("account_id", "paid", "plan")} == {
        "account_id": "1",
        "paid": "true",
        "plan": "paid",
    }
    assert isinstance(response.json["integrationLatency"], int)
    (event,) = functions.events("AuthorizerFunction")
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == f"{ADMIN_ARN}/GET/admin/lists"
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/admin/{proxy+}",
        "/admin/lists",
        "GET",
    )
    assert event["headers"]["Authorization"] == "Bearer mhk_x"
    assert event["queryStringParameters"] == {"limit": "5"}
    assert event["pathParameters"] == {"proxy": "lists"}
    assert event["requestContext"]["apiId"] == API_ID
    assert "body" not in event


def _raise(message: str) -> Behaviour:
    def behaviour(event: dict[str, Any]) -> Any:
        raise Exception(message)

    return behaviour


@pytest.mark.parametrize(
    ("authorizer", "status", "body"),
    [
        (
            _raise("Unauthorized"),
            401,
            {"error": "missing or unknown API key: send Authorization: Bearer <key>"},
        ),
        (lambda event: policy("Deny", "*"), 403, {"error": "this API key may not use this route"}),
        (
            lambda event: policy("Allow", f"{ADMIN_ARN}/*/other/*"),
            403,
            {"error": "this API key may not use this route"},
        ),
        (_raise("boom"), 500, {"message": None}),
        (lambda event: {"principalId": "1"}, 500, {"message": None}),
    ],
)
def test_the_authorizer_answer_decides_as_api_gateway_does(
    authorizer: Behaviour, status: int, body: Any
) -> None:
    client, functions = admin_client(authorizer)
    response = client.get("/admin/operations", headers={"Authorization": "Bearer mhk_x"})
    assert (response.status_code, response.json) == (status, body)
    assert functions.events("AdminFunction") == []


def test_a_deny_statement_wins_over_an_allow() -> None:
    both = policy("Allow", f"{ADMIN_ARN}/*/admin/*")
    both["policyDocument"]["Statement"].append(
        {"Action": "execute-api:*", "Effect": "Deny", "Resource": f"{ADMIN_ARN}/DELETE/admin/*"}
    )
    client, _ = admin_client(lambda event: both)
    headers = {"Authorization": "Bearer mhk_x"}
    assert client.get("/admin/lists", headers=headers).status_code == 200
    assert client.delete("/admin/lists/1", headers=headers).status_code == 403


def test_an_answer_is_cached_per_identity_and_checked_against_each_request() -> None:
    client, functions = admin_client(lambda event: policy("Allow", f"{ADMIN_ARN}/GET/admin/*"))
    first = {"Authorization": "Bearer mhk_first"}
    assert client.get("/admin/lists", headers=first).status_code == 200
    assert client.get("/admin/operations", headers=first).status_code == 200
    assert client.post("/admin/lists", headers=first).status_code == 403
    assert len(functions.events("AuthorizerFunction")) == 1
    assert client.get("/admin/lists", headers={"Authorization": "Bearer mhk_second"}).status_code == 200
    assert len(functions.events("AuthorizerFunction")) == 2


def test_routes_without_auth_do_not_go_through_the_authorizer() -> None:
    client, functions = admin_client(_raise("Unauthorized"))
    assert client.get("/admin/openapi.json").status_code == 200
    assert functions.events("AuthorizerFunction") == []


# Event filtering

INSERT = {"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"N": "4"}, "tags": {"SS": ["a", "b"]}}}}


@pytest.mark.parametrize(
    ("pattern", "passes"),
    [
        ({"eventName": ["INSERT"]}, True),
        ({"eventName": ["MODIFY", "REMOVE"]}, False),
        ({"dynamodb": {"NewImage": {"kind": {"N": ["4", "5"]}}}}, True),
        ({"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}}, True),
        ({"dynamodb": {"NewImage": {"missing": {"S": ["x"]}}}}, False),
        ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"N": ["5"]}}}}, False),
    ],
)
def test_a_filter_passes_records_with_one_of_the_values_at_each_place(pattern: Any, passes: bool) -> None:
    found = EventFilter.from_criteria({"Filters": [{"Pattern": json.dumps(pattern)}]}, "test")
    assert found is not None
    assert found.matches(INSERT) is passes


def test_a_filter_tells_true_from_one_and_refuses_content_filters() -> None:
    found = EventFilter.from_criteria({"Filters": [{"Pattern": '{"flag": [true]}'}]}, "test")
    assert found is not None
    assert (found.matches({"flag": True}), found.matches({"flag": 1})) == (True, False)
    with pytest.raises(ValueError, match="only lists of exact values"):
        EventFilter.from_criteria({"Filters": [{"Pattern": '{"eventName": [{"prefix": "IN"}]}'}]}, "test")


# The template's triggers, polled on moto


def _trigger(stack: Stack, function: str) -> Any:
    return next(trigger for trigger in triggers(stack).found if trigger.function == function)


def test_the_triggers_are_the_template_events(stack: Stack) -> None:
    fan_out = _trigger(stack, "FanOutFunction")
    assert isinstance(fan_out, StreamTrigger)
    assert (fan_out.source, fan_out.starting_position, fan_out.batch_size, fan_out.window) == (
        "ActivityTable",
        "TRIM_HORIZON",
        100,
        1.0,
    )
    assert (fan_out.report_failures, fan_out.bisect, fan_out.max_retries) == (True, True, 10)
    assert fan_out.on_failure == stack.physical["FanOutFailureQueue"]["Arn"]
    assert fan_out.filter == EventFilter(({"eventName": ["INSERT"]},))
    deliver = _trigger(stack, "DeliverFunction")
    assert isinstance(deliver, QueueTrigger)
    assert (deliver.source, deliver.batch_size, deliver.report_failures, deliver.max_concurrency) == (
        "DeliveryQueue",
        10,
        True,
        50,
    )
    ses_events = _trigger(stack, "SesEventsFunction")
    assert isinstance(ses_events, TopicTrigger)
    assert ses_events.topic_arn == stack.physical["SesEventsTopic"]["TopicArn"]
    review = _trigger(stack, "EndpointHealthFunction")
    assert isinstance(review, ScheduleTrigger)
    assert review.every == 300


def _ids(event: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["Keys"]["id"]["S"] for record in event["Records"]]


def _stream_poller(
    stack: Stack, behaviour: Behaviour, monkeypatch: pytest.MonkeyPatch, **changes: Any
) -> tuple[StreamPoller, FakeFunctions]:
    monkeypatch.setattr(streams, "RETRY_PAUSE", 0)
    functions = FakeFunctions(FanOutFunction=behaviour)
    trigger = dataclasses.replace(_trigger(stack, "FanOutFunction"), window=0.0, **changes)
    return StreamPoller(trigger, functions, threading.Event()), functions  # type: ignore[arg-type]


def _put_activities(*ids: str) -> None:
    table = boto3.resource("dynamodb", region_name=REGION).Table("ActivityTable")
    for activity_id in ids:
        table.put_item(Item={"id": activity_id})


def _messages(stack: Stack, queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    answer = sqs.receive_message(QueueUrl=stack.physical[queue]["QueueUrl"], MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def test_a_failing_stream_batch_is_bisected_and_its_poison_record_described_to_the_failure_queue(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fan_out(event: dict[str, Any]) -> dict[str, Any]:
        if "poison" in _ids(event):
            raise ValueError("poison")
        return {"batchItemFailures": []}

    poller, functions = _stream_poller(stack, fan_out, monkeypatch, max_retries=2)
    _put_activities("a", "b", "poison", "c")

    assert poller.poll() is True

    assert [_ids(event) for event in functions.events("FanOutFunction")] == [
        ["a", "b", "poison", "c"],
        ["a", "b"],
        ["poison", "c"],
        ["poison"],
        ["c"],
    ]
    (described,) = _messages(stack, "FanOutFailureQueue")
    poison = functions.events("FanOutFunction")[-2]["Records"][0]["dynamodb"]["SequenceNumber"]
    info = described["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (poison, poison, 1)
    assert info["streamArn"] == stack.physical["ActivityTable"]["StreamArn"]
    assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert described["requestContext"]["approximateInvokeCount"] == 3
    assert described["responseContext"]["functionError"] == "Unhandled"
    assert poller.poll() is False


def test_a_stream_batch_is_retried_from_the_first_failure_it_reports(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["c", None])

    def fan_out(event: dict[str, Any]) -> dict[str, Any]:
        failed = next(answers)
        records = {_ids({"Records": [record]})[0]: record for record in event["Records"]}
        sequence = records[failed]["dynamodb"]["SequenceNumber"] if failed else None
        return {"batchItemFailures": [{"itemIdentifier": sequence}] if sequence else []}

    poller, functions = _stream_poller(stack, fan_out, monkeypatch)
    _put_activities("a", "b", "c", "d")
    poller.poll()
    assert [_ids(event) for event in functions.events("FanOutFunction")] == [["a", "b", "c", "d"], ["c", "d"]]


def test_the_stream_event_has_lambda_shape_and_the_filter_drops_changes(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    poller, functions = _stream_poller(stack, lambda event: {"batchItemFailures": []}, monkeypatch)
    _put_activities("a", "a")  # an INSERT, then a MODIFY
    poller.poll()
    ((record,),) = [event["Records"] for event in functions.events("FanOutFunction")]
    assert record["eventName"] == "INSERT"
    assert {"eventID", "eventVersion", "eventSource", "awsRegion", "eventSourceARN"} <= set(record)
    assert record["eventSourceARN"] == stack.physical["ActivityTable"]["StreamArn"]
    assert {"Keys", "NewImage", "SequenceNumber", "SizeBytes", "StreamViewType"} <= set(record["dynamodb"])
    json.dumps(record)


def _queue_state(stack: Stack, queue: str) -> tuple[int, int]:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=stack.physical[queue]["QueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_a_queue_batch_deletes_what_succeeded_and_leaves_what_failed(stack: Stack) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = stack.physical["DeliveryQueue"]["QueueUrl"]
    answers: list[Behaviour] = [
        lambda event: {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] == "b"
            ]
        },
        _raise("the function failed"),
    ]
    functions = FakeFunctions(DeliverFunction=lambda event: answers.pop(0)(event))
    poller = QueuePoller(_trigger(stack, "DeliverFunction"), functions, threading.Event())  # type: ignore[arg-type]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    assert poller.poll() is True
    assert _queue_state(stack, "DeliveryQueue") == (0, 1)
    (event,) = functions.events("DeliverFunction")
    sample = load_event("sqs_campaign_queued.json")["Records"][0]
    assert set(event["Records"][0]) == set(sample)
    assert set(sample["attributes"]) <= set(event["Records"][0]["attributes"])

    sqs.send_message(QueueUrl=url, MessageBody="d")
    assert poller.poll() is True
    # The function raised: the batch stays, to come back after the visibility timeout.
    assert _queue_state(stack, "DeliveryQueue") == (0, 2)
    assert poller.poll() is False


def test_a_publication_to_a_topic_reaches_its_function_as_an_sns_event(stack: Stack) -> None:
    functions = FakeFunctions(SesEventsFunction=lambda event: None)
    poller = TopicPoller(_trigger(stack, "SesEventsFunction"), functions, threading.Event())  # type: ignore[arg-type]
    topic = stack.physical["SesEventsTopic"]["TopicArn"]
    boto3.client("sns", region_name=REGION).publish(TopicArn=topic, Message='{"eventType": "Open"}')

    assert poller.poll() is True

    ((record,),) = [event["Records"] for event in functions.events("SesEventsFunction")]
    sample = load_event("sns_ses_open.json")["Records"][0]
    assert set(record) == set(sample)
    assert set(record["Sns"]) == set(sample["Sns"])
    assert (record["Sns"]["TopicArn"], record["Sns"]["Message"]) == (topic, '{"eventType": "Open"}')
    assert record["EventSubscriptionArn"] == poller.subscription_arn
    assert poller.poll() is False


def test_a_schedule_invokes_its_function_with_a_scheduled_event_once_a_period() -> None:
    functions = FakeFunctions(EndpointHealthFunction=lambda event: None)
    stopping = threading.Event()
    poller = SchedulePoller(
        ScheduleTrigger("EndpointHealthFunction", "Every5Minutes", 0.05), functions, stopping
    )  # type: ignore[arg-type]
    poller.start()
    deadline = time.monotonic() + 10
    while len(functions.events("EndpointHealthFunction")) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    stopping.set()
    poller.join()

    first, _, _, *_ = functions.events("EndpointHealthFunction")
    assert (first["source"], first["detail-type"], first["detail"]) == ("aws.events", "Scheduled Event", {})
    assert first["resources"] == [
        f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/EndpointHealthFunctionEvery5Minutes"
    ]
    assert datetime.strptime(first["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) <= datetime.now(UTC)


# The receiver


def _signed(secret: str, webhook_id: str, body: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
    }


def test_the_receiver_checks_signatures_and_lists_callbacks_newest_first() -> None:
    secret = new_secret()
    client = Client(Receiver(lambda: [new_secret(), secret]))
    body = json.dumps({"activity_id": 4, "email": "ana@example.com"})

    assert client.post("/callbacks", data=body, headers=_signed(secret, "msg_1", body)).status_code == 204
    tampered = _signed(secret, "msg_2", body)
    assert client.post("/callbacks", data=body.replace("ana", "eve"), headers=tampered).status_code == 204

    listed = client.get(JSON_ROUTE).json
    assert [(callback["webhook_id"], callback["verified"]) for callback in listed] == [
        ("msg_2", False),
        ("msg_1", True),
    ]
    assert listed[0]["problem"] == "No matching signature found"
    assert listed[1]["body"] == {"activity_id": 4, "email": "ana@example.com"}
    page = client.get("/").get_data(as_text=True)
    assert page.index("msg_2") < page.index("msg_1")
    assert "NOT verified" in page


# Logs in a terminal


def test_a_powertools_record_is_one_readable_line_with_every_key() -> None:
    record = {
        "level": "WARNING",
        "location": "_log:578",
        "message": "delivery retrying",
        "timestamp": "2026-11-25 12:36:16,382+0000",
        "service": "deliver",
        "cold_start": False,
        "function_name": "mailhooks-local-DeliverFunction",
        "function_request_id": "59ff3288-3022-4d94-8b65-eaf74984af4f",
        "status_code": 503,
        "webhook_id": "msg_1",
        "exception": "Traceback (most recent call last):\nValueError: no",
    }
    assert render(json.dumps(record)).split("\n") == [
        "\033[33m12:36:16,382 WARNING deliver [59ff3288] delivery retrying "
        "status_code=503 webhook_id=msg_1\033[0m",
        "    Traceback (most recent call last):",
        "    ValueError: no",
    ]
    assert render("Listening on http://127.0.0.1:3000") == "Listening on http://127.0.0.1:3000"
    assert render('{"not": "a log record"}') == '{"not": "a log record"}'


def test_the_console_passes_on_each_threads_lines_whole() -> None:
    terminal = io.StringIO()
    console = Console(terminal)
    console.write("half of a ")
    other = threading.Thread(target=console.write, args=("another line\n",))
    other.start()
    other.join()
    console.write("line\n")
    assert terminal.getvalue() == "another line\nhalf of a line\n"


# The stack's parameters and its environment file


def test_parameter_overrides_must_be_parameters_of_the_template_with_an_allowed_value() -> None:
    local = Stack.from_file(overrides={"AllowLocalEndpoints": "true"})
    assert local.parameters["AllowLocalEndpoints"] == "true"
    with pytest.raises(ValueError, match="no such parameter"):
        Stack.from_file(overrides={"AllowEverything": "true"})
    with pytest.raises(ValueError, match="allowed values"):
        Stack.from_file(overrides={"AllowLocalEndpoints": "yes"})


def test_make_demo_says_so_when_the_stack_is_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(["--environment-file", str(tmp_path / "environment.json")]) == 1
    assert "The local stack is not running" in capsys.readouterr().err
