"""The deliver function end to end: messages the fan-out really queued on moto's delivery queue, received
from it as Lambda's event source would, handed to the real handler, and POSTed to real HTTP receivers on
127.0.0.1 (moto intercepts botocore only, and lets every other request of requests pass through)."""

import gzip
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import certifi
import pytest
import urllib3.util.connection
from moto.backends import get_backend
from standardwebhooks import Webhook

from devstack.template import ACCOUNT_ID, REGION, Stack
from functions.delivery.app import handler
from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.errors import InvalidInput
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.delivery import http
from mailhooks.outbound.delivery.http import MAX_ERROR_LENGTH
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.outbound.fanout import fan_out
from mailhooks.settings import settings
from mailhooks.store.delivery_log import MAX_KEPT_ATTEMPTS, Delivery, DeliveryAttempt, delivery_log
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.counting import by_operation, counting_aws_calls, hooked_aws_calls
from tests.support.helpers import FakeLambdaContext, campaign_activity, seed_account
from tests.support.receivers import Receiver, Reply, self_signed
from tests.support.streams import sqs_event as lambda_sqs_event

Start = Callable[..., Receiver]
DYNAMODB_WRITES = {
    f"dynamodb.{name}"
    for name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
}
# What SQS takes in a message attribute: XML's characters.
SQS_ATTRIBUTE_TEXT = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


@pytest.fixture(autouse=True)
def deliver_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """The deliver function's environment as the template sets it; local receivers allowed, and a retry
    schedule of seconds."""
    for name, value in stack.function_environment("DeliverFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", "[1, 1]")
    settings.cache_clear()
    seed_account(12)
    return stack


def allow_local(monkeypatch: pytest.MonkeyPatch, allowed: bool) -> None:
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", str(allowed).lower())
    settings.cache_clear()


def export_endpoint(url: str, endpoint_id: str = "ep1", active: bool = True) -> ExportEndpoint:
    endpoint = ExportEndpoint(
        id=endpoint_id,
        account_id=12,
        url=url,
        activities=list(ActivityKind),
        active=active,
        secret=new_secret(),
    )
    export_endpoint_records().put_export_endpoint(endpoint)
    return endpoint


def publish(count: int = 1, kind: ActivityKind = ActivityKind.CLICK) -> list[ActivityRecord]:
    """Activities, queued for every endpoint of the account by the real fan-out."""
    activities = [campaign_activity(kind, n, url="https://shop.example/offer?a=1&b=ü") for n in range(count)]
    assert fan_out([(str(n), activity) for n, activity in enumerate(activities)]) is None
    return activities


def sqs_event(wait_seconds: int = 0) -> dict[str, Any]:
    """Up to 10 messages received from the delivery queue, as the SQS event Lambda builds from them."""
    received = aws().sqs.receive_message(
        QueueUrl=settings().delivery_queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        WaitTimeSeconds=wait_seconds,
    )
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:DeliveryQueue"
    return lambda_sqs_event(arn, received.get("Messages", []))


def invoke(event: dict[str, Any], acknowledge: bool = True) -> list[str]:
    """The handler on one batch; then, as Lambda does, delete every message it did not report as failed.
    Answers the failed message ids."""
    answer = handler(event, FakeLambdaContext())
    failed = [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]
    for record in event["Records"]:
        if acknowledge and record["messageId"] not in failed:
            aws().sqs.delete_message(
                QueueUrl=settings().delivery_queue_url, ReceiptHandle=record["receiptHandle"]
            )
    return failed


def run(wait_seconds: int = 0) -> tuple[dict[str, Any], list[str]]:
    event = sqs_event(wait_seconds)
    assert event["Records"], "nothing to receive on the delivery queue"
    return event, invoke(event)


def webhook_id(activity: ActivityRecord, endpoint: ExportEndpoint) -> str:
    return f"msg_{activity.id}_{endpoint.id}"


def logged(activity: ActivityRecord, endpoint: ExportEndpoint) -> Delivery:
    found = delivery_log().get(12, webhook_id(activity, endpoint))
    assert found is not None
    return found


def make_visible(event: dict[str, Any]) -> None:
    for record in event["Records"]:
        aws().sqs.change_message_visibility(
            QueueUrl=settings().delivery_queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
        )


def queue_is_empty() -> bool:
    attributes = aws().sqs.get_queue_attributes(
        QueueUrl=settings().delivery_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return set(attributes.values()) == {"0"}


def seconds_until_visible() -> list[float]:
    queue = get_backend("sqs")[ACCOUNT_ID][REGION].queues["DeliveryQueue"]
    return [message.visible_at / 1000 - time.time() for message in queue._messages]


def dead_letters() -> list[Any]:
    answer = aws().sqs.receive_message(
        QueueUrl=settings().delivery_dead_letter_queue_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    )
    return answer.get("Messages", [])


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every TCP connection urllib3 opens from now on (botocore's calls to moto open none)."""
    opened: list[tuple[Any, ...]] = []
    real = urllib3.util.connection.create_connection

    def spy(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", spy)
    return opened


def resolve(monkeypatch: pytest.MonkeyPatch, name: str, *addresses: str) -> list[str]:
    """Make the resolver answer name with each address in turn (the last one from then on); answers the
    log of its lookups of name."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        address = addresses[min(len(lookups), len(addresses) - 1)]
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


# What receivers get


def test_the_receiver_gets_the_published_body_signed_the_standard_webhooks_way(receiver: Start) -> None:
    hooks = receiver()
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()

    _, failed = run()

    assert failed == []
    [received] = hooks.received
    assert received.body == json.dumps(activity.published()).encode()
    headers = {name.lower(): value for name, value in received.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("mailhooks/")
    assert headers["webhook-id"] == webhook_id(activity, endpoint)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    assert Webhook(endpoint.secret).verify(received.body, headers) == activity.published()
    record = logged(activity, endpoint)
    assert (record.status, record.attempt_count, record.last_status_code) == ("delivered", 1, 200)
    assert record.payload == activity.published()


@pytest.mark.alone
def test_a_batch_of_ten_is_posted_at_once(receiver: Start) -> None:
    hooks = receiver(Reply(delay=0.2))
    export_endpoint(hooks.url())
    publish()
    run()  # a warm container: what a first invocation sets up once is not what is measured
    publish(10)
    event = sqs_event()
    assert len(event["Records"]) == 10

    started = time.monotonic()
    answer = handler(event, FakeLambdaContext())
    elapsed = time.monotonic() - started

    assert answer == {"batchItemFailures": []}
    assert len({received.headers["webhook-id"] for received in hooks.received}) == 11
    assert elapsed < 0.4


def test_a_first_receipt_costs_one_write_per_delivered_event(receiver: Start) -> None:
    hooks = receiver()
    export_endpoint(hooks.url())
    publish(10)
    event = sqs_event()
    assert {record["attributes"]["ApproximateReceiveCount"] for record in event["Records"]} == {"1"}

    with counting_aws_calls() as calls:
        assert invoke(event) == []

    writes = {name: count for name, count in by_operation(calls).items() if name in DYNAMODB_WRITES}
    # Each delivery's log, after its POST; and the endpoint's health, once for the batch.
    assert writes == {"dynamodb.PutItem": 10, "dynamodb.UpdateItem": 1}
    assert len(hooks.received) == 10


def test_the_endpoints_health_is_reported_beside_the_log_writes_not_after_them(receiver: Start) -> None:
    hooks = receiver()
    endpoint = export_endpoint(hooks.url())
    activities = publish(3)
    event = sqs_event()
    reported = threading.Event()
    held: list[bool] = []

    def on_call(event_name: str, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") != settings().delivery_table:
            return
        if event_name.endswith(".UpdateItem"):  # the health report, the batch's one update
            reported.set()
        elif event_name.endswith(".PutItem"):  # a delivery's log: written once the report is made
            held.append(reported.wait(timeout=5))

    with hooked_aws_calls(on_call):
        assert invoke(event) == []

    assert held == [True, True, True]
    assert [logged(activity, endpoint).status for activity in activities] == ["delivered"] * 3


# Retries and the dead-letter queue


def test_a_receiver_failing_twice_gets_the_same_webhook_three_times(receiver: Start) -> None:
    hooks = receiver(Reply(500, body=b"down"), Reply(503, body=b""), Reply(204, body=b""))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()

    assert len(run()[1]) == 1
    assert all(0 < wait <= 2 for wait in seconds_until_visible())
    assert sqs_event()["Records"] == []  # it waits out the visibility its retry set
    assert len(run(wait_seconds=3)[1]) == 1
    event, failed = run(wait_seconds=3)

    assert failed == []
    assert event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "3"
    assert [received.headers["webhook-id"] for received in hooks.received] == [
        webhook_id(activity, endpoint)
    ] * 3
    record = logged(activity, endpoint)
    assert (record.status, record.attempt_count, record.last_status_code, record.last_error) == (
        "delivered",
        3,
        204,
        None,
    )
    assert [(attempt.number, attempt.status_code, attempt.error) for attempt in record.attempts] == [
        (1, 500, "HTTP 500: down"),
        (2, 503, "HTTP 503"),
        (3, 204, None),
    ]
    assert queue_is_empty()


def test_after_the_last_attempt_the_message_goes_to_the_dead_letter_queue_with_its_last_error(
    receiver: Start, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = receiver(Reply(500, body=b"still down"))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()
    make_visible(sqs_event())  # a receipt whose invocation died before its attempt: it counts as none

    runs = [run(wait_seconds=3) for _ in range(3)]

    assert [len(failed) for _, failed in runs] == [1, 1, 0]
    assert len(hooks.received) == 3
    assert queue_is_empty()
    [dead] = dead_letters()
    assert dead["Body"] == runs[0][0]["Records"][0]["body"]
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes["error"] == "HTTP 500: still down"
    assert (attributes["status_code"], attributes["attempts"]) == ("500", "3")
    record = logged(activity, endpoint)
    assert (record.status, record.attempt_count, record.last_error) == ("failed", 3, "HTTP 500: still down")
    assert "delivery failed" in caplog.messages


def test_an_answer_with_control_characters_reaches_the_dead_letter_queue_in_text_sqs_takes(
    receiver: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", "[]")
    settings.cache_clear()
    hooks = receiver(Reply(500, body=b"\x1b[31mdown\x1b[0m\x00 \xff\tend"))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()

    _, failed = run()

    # SQS refuses such a message whole, and moto does not: the message would come back until its receive
    # limit moved it to the dead-letter queue unlabelled.
    assert failed == []
    [dead] = dead_letters()
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert all(SQS_ATTRIBUTE_TEXT.fullmatch(value) for value in attributes.values()), attributes
    assert attributes["error"] == "HTTP 500: \ufffd[31mdown\ufffd[0m\ufffd \ufffd\tend"
    assert queue_is_empty()
    assert logged(activity, endpoint).last_error == "HTTP 500: \x1b[31mdown\x1b[0m\x00 \ufffd\tend"


def test_a_message_that_is_no_delivery_goes_straight_to_the_dead_letter_queue() -> None:
    aws().sqs.send_message(QueueUrl=settings().delivery_queue_url, MessageBody='{"webhook_id": 1}')

    _, failed = run()

    assert failed == []
    [dead] = dead_letters()
    assert dead["MessageAttributes"]["error"]["StringValue"] == (
        "not a delivery message: webhook_id: Input should be a valid string; account_id: Field required; "
        "endpoint_id: Field required; activity_id: Field required; payload: Field required"
    )


@pytest.mark.parametrize(("status", "as_date"), [(429, False), (503, True)])
def test_retry_after_holds_the_message_back_at_least_that_long(
    receiver: Start, status: int, as_date: bool
) -> None:
    in_40_seconds = format_datetime(clock.now() + timedelta(seconds=40), usegmt=True)
    retry_after = in_40_seconds if as_date else "30"
    hooks = receiver(Reply(status, headers={"Retry-After": retry_after}))
    export_endpoint(hooks.url())
    publish()

    _, failed = run()

    assert len(failed) == 1
    [wait] = seconds_until_visible()
    assert (38 if as_date else 29.5) < wait <= 48
    assert sqs_event()["Records"] == []


def test_redirects_are_not_followed(receiver: Start) -> None:
    elsewhere = receiver()
    hooks = receiver(Reply(302, headers={"Location": elsewhere.url()}, body=b""))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()

    _, failed = run()

    assert len(failed) == 1
    assert (len(hooks.received), elsewhere.received) == (1, [])
    record = logged(activity, endpoint)
    assert record.last_error == f"HTTP 302, to {elsewhere.url()} (redirects are not followed)"


def test_a_compressed_answer_is_read_as_sent_never_inflated(receiver: Start) -> None:
    # The request asks for no compression; a receiver that compresses anyway could send a bomb: 10 MB of
    # text in 10 KB.
    bomb = gzip.compress(b"A" * 10_000_000)
    hooks = receiver(Reply(500, headers={"Content-Encoding": "gzip"}, body=bomb))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()

    run()

    [received] = hooks.received
    assert received.header("Accept-Encoding") == "identity"
    error = logged(activity, endpoint).last_error
    assert error == f"HTTP 500: {bomb.decode(errors='replace').strip()}"[:MAX_ERROR_LENGTH]
    assert "AAAA" not in error


def test_an_answer_trickling_past_the_deadline_fails_the_attempt(
    receiver: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_TIMEOUT", "1")
    settings.cache_clear()
    # A byte each 0.1 s: no single wait reaches the timeout, the whole answer takes 4 s.
    hooks = receiver(Reply(body=b"x" * 40, trickle=0.1))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()

    _, failed = run()

    assert len(failed) == 1
    assert logged(activity, endpoint).last_error == "no complete answer within 1 s"


# Duplicates


def test_a_retry_after_a_lost_acknowledgement_is_not_posted_again(receiver: Start) -> None:
    hooks = receiver()
    export_endpoint(hooks.url())
    publish()
    event = sqs_event()
    assert invoke(event, acknowledge=False) == []
    make_visible(event)  # the deletion was lost: SQS hands the message over again

    again, failed = run()

    assert again["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert failed == []
    assert len(hooks.received) == 1
    assert queue_is_empty()


def test_a_late_copy_from_the_fan_out_of_a_delivered_event_is_not_posted(receiver: Start) -> None:
    """A second copy from the fan-out (its stream batch retried), at its first receipt, finds its delivery
    logged (one read for the batch) and takes the lease: delivered, it is not POSTed again."""
    hooks = receiver()
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()
    run()

    assert fan_out([("0", activity)]) is None
    again, failed = run()

    assert again["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1"
    assert failed == []
    assert len(hooks.received) == 1
    assert logged(activity, endpoint).attempt_count == 1
    assert queue_is_empty()


def test_two_copies_from_the_fan_out_at_once_are_posted_alike_and_logged_once(receiver: Start) -> None:
    """Two copies at their first receipt at once both go without a lease: both are POSTed, with the same
    webhook-id, on which the receiver deduplicates; the log keeps one attempt."""
    hooks = receiver()
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()
    assert fan_out([("0", activity)]) is None

    both, failed = run()

    assert len(both["Records"]) == 2
    assert failed == []
    assert [received.header("webhook-id") for received in hooks.received] == [
        webhook_id(activity, endpoint)
    ] * 2
    assert logged(activity, endpoint).attempt_count == 1
    assert queue_is_empty()


def test_a_replayed_stream_record_is_posted_once(receiver: Start) -> None:
    hooks = receiver()
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()
    run()

    assert fan_out([("0", activity)], replayed=True) is None
    _, failed = run()

    assert failed == []
    assert len(hooks.received) == 1
    assert logged(activity, endpoint).attempt_count == 1
    assert queue_is_empty()


def test_two_copies_received_again_in_one_batch_are_posted_once(receiver: Start) -> None:
    hooks = receiver(Reply(delay=0.3))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()
    assert fan_out([("0", activity)]) is None
    make_visible(sqs_event())  # received, and not attempted: an invocation that died first, say
    event = sqs_event()
    assert [record["attributes"]["ApproximateReceiveCount"] for record in event["Records"]] == ["2", "2"]

    [waiting] = invoke(event)
    # The copy that found the other under way comes back once the lease is given back.
    make_visible({"Records": [record for record in event["Records"] if record["messageId"] == waiting]})
    _, failed = run()

    assert failed == []
    assert len(hooks.received) == 1
    assert logged(activity, endpoint).attempt_count == 1
    assert queue_is_empty()


def test_two_copies_in_one_batch_at_their_first_receipt_are_both_posted_and_logged_once(
    receiver: Start,
) -> None:
    hooks = receiver(Reply(delay=0.3))
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()
    assert fan_out([("0", activity)]) is None
    event = sqs_event()
    assert len(event["Records"]) == 2

    assert invoke(event) == []

    assert [received.header("webhook-id") for received in hooks.received] == [
        webhook_id(activity, endpoint)
    ] * 2
    assert logged(activity, endpoint).attempt_count == 1
    assert queue_is_empty()


# Endpoints changed while messages wait


@pytest.mark.parametrize("change", ["deleted", "switched off"])
def test_an_endpoint_deleted_or_switched_off_drops_its_messages(receiver: Start, change: str) -> None:
    hooks = receiver()
    endpoint = export_endpoint(hooks.url())
    [activity] = publish()
    if change == "deleted":
        export_endpoint_records().delete_export_endpoint(12, endpoint.id)
    else:
        export_endpoint_records().put_export_endpoint(replace(endpoint, active=False))

    _, failed = run()

    assert (failed, hooks.received) == ([], [])
    assert queue_is_empty()
    record = logged(activity, endpoint)
    verb = "was" if change == "deleted" else "is"
    assert (record.status, record.attempt_count, record.last_error) == (
        "dropped",
        0,
        f"the endpoint {verb} {change}",
    )


def test_a_new_url_applies_to_messages_already_queued(receiver: Start) -> None:
    old, new = receiver(), receiver()
    endpoint = export_endpoint(old.url())
    publish()
    export_endpoint_records().put_export_endpoint(replace(endpoint, url=new.url()))

    run()

    assert (len(old.received), len(new.received)) == (0, 1)


# The SSRF guard


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1:{port}/hooks", "127.0.0.1 is a loopback address"),
        ("https://10.0.0.1/hooks", "10.0.0.1 is a private address"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("https://[::ffff:127.0.0.1]:{port}/hooks", "::ffff:127.0.0.1 is a loopback address"),
        ("http://hooks.example.com/hooks", "must start with https://"),
        ("https://localhost:{port}/hooks", "localhost is this machine (loopback)"),
        (
            "https://hooks.example.test:{port}/hooks",
            "hooks.example.test resolves to 10.0.0.5, which is a private",
        ),
        # Its inbound webhooks' URLs: a delivery there could make more deliveries, without end.
        ("https://{api_host}/dev/hooks/{token}", "is this API's own host"),
    ],
)
def test_a_refused_url_is_aborted_with_nothing_sent(
    receiver: Start,
    monkeypatch: pytest.MonkeyPatch,
    connections: list[tuple[Any, ...]],
    url: str,
    reason: str,
) -> None:
    allow_local(monkeypatch, False)
    hooks = receiver()
    resolve(monkeypatch, "hooks.example.test", "10.0.0.5")
    endpoint = export_endpoint(url.format(port=hooks.port, api_host=settings().api_host, token="a" * 43))
    [activity] = publish()

    _, failed = run()

    assert failed == []
    assert (hooks.received, connections) == ([], [])
    record = logged(activity, endpoint)
    assert record.status == "aborted"
    assert record.last_error is not None
    assert record.last_error.startswith("refused, nothing sent: ")
    assert reason in record.last_error
    assert queue_is_empty()


def test_the_connection_goes_to_the_address_that_was_checked(
    receiver: Start, monkeypatch: pytest.MonkeyPatch, connections: list[tuple[Any, ...]]
) -> None:
    hooks = receiver()
    # A rebinding name: the first answer passes the check, any later one would lead elsewhere.
    lookups = resolve(monkeypatch, "rebind.example.test", "127.0.0.1", "10.0.0.5")
    export_endpoint(hooks.url("rebind.example.test"))
    publish()

    _, failed = run()

    assert failed == []
    assert lookups == ["127.0.0.1"]
    assert connections == [("127.0.0.1", hooks.port)]
    assert hooks.received[0].headers["Host"] == f"rebind.example.test:{hooks.port}"


def test_a_proxy_set_in_the_environment_is_not_used(
    receiver: Start, monkeypatch: pytest.MonkeyPatch, connections: list[tuple[Any, ...]]
) -> None:
    """A proxy would connect in the guard's place, to wherever the endpoint's URL says."""
    hooks, proxy = receiver(), receiver()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy.url())
        monkeypatch.setenv(name.lower(), proxy.url())
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    export_endpoint(hooks.url())
    publish()

    _, failed = run()

    assert failed == []
    assert (len(hooks.received), proxy.received) == (1, [])
    assert connections == [("127.0.0.1", hooks.port)]


def test_the_next_delivery_to_a_receiver_goes_over_the_connection_kept_open(
    receiver: Start, connections: list[tuple[Any, ...]]
) -> None:
    hooks = receiver()
    export_endpoint(hooks.url())

    for kind in (ActivityKind.OPEN, ActivityKind.CLICK):
        publish(kind=kind)
        _, failed = run()
        assert failed == []

    assert len(hooks.received) == 2
    assert connections == [("127.0.0.1", hooks.port)]


@pytest.mark.parametrize(
    ("certified", "delivered"), [("hooks.example.test", True), ("other.example.test", False)]
)
def test_tls_checks_the_certificate_against_the_name_not_the_address(
    receiver: Start,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    connections: list[tuple[Any, ...]],
    certified: str,
    delivered: bool,
) -> None:
    trusted, context = self_signed(tmp_path, certified)
    hooks = receiver(tls=context)
    resolve(monkeypatch, "hooks.example.test", "127.0.0.1")
    # The deliverer's own pools, built as at its cold start, with the test's authority as certifi's.
    monkeypatch.setattr(certifi, "where", lambda: str(trusted))
    monkeypatch.setattr(http, "POOLS", http._new_pools())
    endpoint = export_endpoint(hooks.url("hooks.example.test", scheme="https"))
    [activity] = publish()

    _, failed = run()

    assert connections == [("127.0.0.1", hooks.port)]
    assert hooks.server_names == ["hooks.example.test"]
    record = logged(activity, endpoint)
    if delivered:
        assert (failed, record.status, len(hooks.received)) == ([], "delivered", 1)
    else:
        assert (len(failed), record.status, hooks.received) == (1, "pending", [])
        assert "certificate verify failed" in (record.last_error or "")


# The delivery log


def test_an_endpoints_deliveries_page_by_status_newest_first() -> None:
    log = delivery_log()
    start = clock.now()
    for n in range(5):
        log.record(
            Delivery(
                webhook_id=f"msg_{n}",
                account_id=12,
                endpoint_id="ep1",
                activity_id=str(n),
                payload={"n": n},
                status="failed" if n == 2 else "delivered",
                updated_at=start + timedelta(seconds=n),
            )
        )

    pages: list[list[str]] = []
    cursor = None
    while True:
        page, cursor = log.page(12, "ep1", "delivered", cursor, limit=2)
        pages.append([found.webhook_id for found in page])
        if cursor is None:
            break

    assert [webhook for page in pages for webhook in page] == ["msg_4", "msg_3", "msg_1", "msg_0"]
    assert pages[0] == ["msg_4", "msg_3"]
    assert [found.payload for found in log.page(12, "ep1", "failed")[0]] == [{"n": 2}]
    assert log.page(12, "ep2", "delivered") == ([], None)
    first_cursor = log.page(12, "ep1", "delivered", limit=2)[1]
    with pytest.raises(InvalidInput):
        log.page(12, "ep2", "delivered", first_cursor)
    with pytest.raises(InvalidInput):
        log.page(12, "ep1", "delivered", "not a cursor")


def test_a_delivery_keeps_its_latest_attempts_in_its_own_item() -> None:
    log = delivery_log()
    delivery = Delivery(webhook_id="msg_1", account_id=12, endpoint_id="ep1", activity_id="1", payload={})
    for number in range(1, MAX_KEPT_ATTEMPTS + 6):
        attempt = DeliveryAttempt(
            number=number, at=clock.now(), status_code=500, error="HTTP 500", latency_ms=3
        )
        delivery = log.record(replace(delivery, attempt_count=number), attempt)

    found = log.get(12, "msg_1")

    assert found is not None
    assert found.attempt_count == MAX_KEPT_ATTEMPTS + 5
    assert [attempt.number for attempt in found.attempts] == list(range(6, MAX_KEPT_ATTEMPTS + 6))
    # One item: an attempt costs the delivery's own write.
    table = get_backend("dynamodb")[ACCOUNT_ID][REGION].tables[settings().delivery_table]
    assert [item.range_key.value for item in table.all_items()] == ["DELIVERY"]
    # A page lists deliveries without their attempts.
    assert log.page(12, "ep1", "pending")[0][0].attempts == []


def test_a_first_receipts_log_is_written_only_where_nothing_of_the_delivery_is() -> None:
    log, at = delivery_log(), clock.now()
    attempt = DeliveryAttempt(number=1, at=at, status_code=200, latency_ms=3)

    def delivery(webhook: str) -> Delivery:
        return Delivery(webhook_id=webhook, account_id=12, endpoint_id="ep1", activity_id="1", payload={})

    first = replace(delivery("msg_new"), status="delivered", attempt_count=1)
    assert log.first(first, attempt) == replace(first, attempts=[attempt])
    assert log.first(first, attempt) == "delivered"
    # Another copy holds the lease of its attempt: the first receipt's answer does not take its place.
    leased = log.claim(delivery("msg_leased"), timedelta(seconds=60), seen=True)
    assert isinstance(leased, Delivery)
    assert log.first(replace(first, webhook_id="msg_leased"), attempt) == "in flight"
    found = log.get(12, "msg_leased")
    assert found is not None
    assert (found.status, found.attempt_count, found.attempts) == ("pending", 0, [])
    assert log.claim(delivery("msg_leased"), timedelta(seconds=60), seen=True) == "in flight"
