"""The parts of the local stack that need no AWS, each on its own: API Gateway's events and authorizers, event
filters, the schedule poller, the receiver of callbacks, and the logs in a terminal. The pollers of the
template's streams, queues and topics, on moto: tests/integration/test_devstack_pollers.py."""

import base64
import io
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from devstack import demo
from devstack.apigateway import proxy_event
from devstack.console import Console, render
from devstack.filters import EventFilter
from devstack.front import Front
from devstack.receiver import JSON_ROUTE, Receiver
from devstack.routes import Router, routes
from devstack.schedules import SchedulePoller
from devstack.template import ACCOUNT_ID, REGION, ROOT, Stack
from devstack.triggers import ScheduleTrigger
from mailhooks.outbound.delivery.signing import new_secret
from tests.support.fake_functions import Behaviour, FakeFunctions, fails


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


@pytest.mark.parametrize(
    ("authorizer", "status", "body"),
    [
        (
            fails("Unauthorized"),
            401,
            {"error": "missing or unknown API key: send Authorization: Bearer <key>"},
        ),
        (lambda event: policy("Deny", "*"), 403, {"error": "this API key may not use this route"}),
        (
            lambda event: policy("Allow", f"{ADMIN_ARN}/*/other/*"),
            403,
            {"error": "this API key may not use this route"},
        ),
        # The template's DEFAULT_5XX, with the request's id.
        (fails("boom"), 500, {"error": "internal error (reference {request_id})"}),
        (lambda event: {"principalId": "1"}, 500, {"error": "internal error (reference {request_id})"}),
    ],
)
def test_the_authorizer_answer_decides_as_api_gateway_does(
    authorizer: Behaviour, status: int, body: Any
) -> None:
    client, functions = admin_client(authorizer)
    response = client.get("/admin/operations", headers={"Authorization": "Bearer mhk_x"})
    request_id = response.headers["x-amzn-RequestId"]
    assert (response.status_code, response.json) == (
        status,
        {key: value.format(request_id=request_id) for key, value in body.items()},
    )
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
    client, functions = admin_client(fails("Unauthorized"))
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


def test_the_receiver_reads_the_secrets_again_only_when_none_it_knows_verifies() -> None:
    first, rotated = new_secret(), new_secret()
    current = [first]
    reads: list[list[str]] = []

    def secrets() -> list[str]:
        reads.append(list(current))
        return list(current)

    client = Client(Receiver(secrets))
    body = "{}"
    for n in range(3):
        client.post("/callbacks", data=body, headers=_signed(first, f"msg_{n}", body))
    current.append(rotated)
    client.post("/callbacks", data=body, headers=_signed(rotated, "msg_3", body))
    client.post("/callbacks", data=body, headers=_signed(first, "msg_4", body))
    client.post("/callbacks", data=body, headers=_signed(new_secret(), "msg_5", body))

    assert reads == [[first], [first, rotated], [first, rotated]]
    verified = {callback["webhook_id"]: callback["verified"] for callback in client.get(JSON_ROUTE).json}
    assert verified == {f"msg_{n}": n < 5 for n in range(6)}


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
