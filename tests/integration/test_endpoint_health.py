"""Endpoint health end to end: messages the real fan-out queued on moto's delivery queue, handed to the
deliver function as Lambda's event source would, and POSTed to receivers on 127.0.0.1; the scheduled review
run as its schedule runs it; the recovery through the admin API. Time, as deliveries and health see it, is
the test's clock (mailhooks.clock.now); the queue's own waits are real, and are skipped by making messages
visible again."""

import json
import threading
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.core.botocore_stubber import BotocoreStubber

from mailhooks.models import ActivityKind
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.endpoint_health.review import disable
from mailhooks.outbound.parking import PAGE
from mailhooks.outbound.queue import MAX_HOLD_SECONDS
from mailhooks.settings import settings
from mailhooks.store.delivery_log import RETENTION, Delivery, DeliveryStatus, delivery_log
from mailhooks.store.endpoint_health import health_records
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.parking import parked_deliveries
from tests.support.admin import admin
from tests.support.health import OWNER, Clock, Queue, endpoint, publish, run_review
from tests.support.helpers import sent_emails
from tests.support.receivers import Receiver, Reply
from tests.support.streams import receive_all

pytestmark = pytest.mark.usefixtures("deliver_function")
# Longer than any test runs: a receiver that never answers.
NEVER = 120.0


def ids(received: Any) -> list[str]:
    return [each.headers["webhook-id"] for each in received]


def logged(activity: ActivityRecord, endpoint_id: str) -> Delivery:
    found = delivery_log().get(12, f"msg_{activity.id}_{endpoint_id}")
    assert found is not None
    return found


def health_of(endpoint_id: str) -> dict[str, Any]:
    status, shown = admin("GET", f"/admin/endpoints/{endpoint_id}")
    assert status == 200, shown
    return dict(shown["health"])


def deliveries(endpoint_id: str, status: DeliveryStatus) -> list[Delivery]:
    return delivery_log().page(12, endpoint_id, status, limit=1000)[0]


def parked(endpoint_id: str) -> list[str]:
    """The webhook ids of the endpoint's parked deliveries, oldest first."""
    batches = parked_deliveries().batches((12, endpoint_id))
    return [json.loads(message)["webhook_id"] for batch in batches for message in batch.messages]


def dead_letters() -> list[dict[str, Any]]:
    return (
        boto3.client("sqs")
        .receive_message(QueueUrl=settings().delivery_dead_letter_queue_url, MaxNumberOfMessages=10)
        .get("Messages", [])
    )


# The noisy neighbour


# Its deliveries have half a second to be answered: another worker's load would fail the healthy ones.
@pytest.mark.alone
def test_a_receiver_that_never_answers_does_not_hold_up_a_healthy_one(
    queue: Queue, receiver: Any, clock: Clock
) -> None:
    healthy: Receiver = receiver()
    dead: Receiver = receiver(Reply(delay=NEVER))
    endpoint(healthy.url(), "healthy", [ActivityKind.CLICK])
    endpoint(dead.url(), "dead", [ActivityKind.OPEN])

    # 1,000 activities, a hundred at a time as the fan-out's stream batches bring them.
    for _ in range(10):
        publish(*[ActivityKind.CLICK, ActivityKind.OPEN] * 50)
        queue.run_batches()

    assert len(set(ids(healthy.received))) == 500
    limits = settings()
    assert health_of("dead")["state"] == "open"
    # Those under way when the failure rate tripped it: at most one batch more than it needs to judge.
    before_it_opened = len(dead.received)
    assert limits.breaker_min_attempts <= before_it_opened <= limits.breaker_min_attempts + 10
    shown = health_of("healthy")
    assert (shown["state"], shown["failure_rate"]) == ("healthy", 0.0)

    # None of the dead receiver's deliveries is lost, and none takes a healthy one's place on the queue: those
    # POSTed before its breaker opened wait there for their retry, or are parked since; every later one is
    # parked.
    assert_all_kept(dead, 500, queue)

    # After each wait, one probe: the oldest parked delivery, which the review queues when no new one comes;
    # or the first new one, the others parked behind it.
    clock.advance(seconds=limits.breaker_open_seconds + 1)
    run_review()
    queue.run_batches()
    assert len(dead.received) == before_it_opened + 1
    clock.advance(seconds=limits.breaker_open_seconds + 1)
    publish(*[ActivityKind.OPEN] * 5)
    queue.run_batches()
    assert len(dead.received) == before_it_opened + 2
    assert health_of("dead")["state"] == "open"
    assert_all_kept(dead, 505, queue)


def assert_all_kept(dead: Receiver, count: int, queue: Queue) -> None:
    """Every one of `count` deliveries to the dead receiver is parked, once, or on the queue for its retry;
    each attempt the receiver got is logged, and the health counts the parked ones."""
    waiting = parked("dead") + [json.loads(message.body)["webhook_id"] for message in queue.messages()]
    assert len(waiting) == len(set(waiting)) == count
    assert sum(delivery.attempt_count for delivery in deliveries("dead", "pending")) == len(dead.received)
    assert health_of("dead")["parked"] == len(parked("dead"))


# Which of two messages due together gets the one 503 depends on how long the steps take in real time (the
# queue's waits are real, the breaker's clock the test's): another worker's load once changed it.
@pytest.mark.alone
def test_a_probes_success_closes_the_breaker_and_sends_every_parked_delivery(
    queue: Queue, receiver: Any, clock: Clock
) -> None:
    recovering: Receiver = receiver(Reply(503))
    endpoint(recovering.url(), "ep1")
    health_records().open((12, "ep1"), clock.at, clock.at + timedelta(seconds=60))

    # Parked by the fan-out while the breaker's wait lasts, one batch per stream batch: more than a page.
    published = [each for _ in range(PAGE + 2) for each in publish(*[ActivityKind.CLICK] * 20)]
    assert queue.empty()
    assert sorted(parked("ep1")) == sorted(f"msg_{activity.id}_ep1" for activity in published)

    # The review's probe after the wait fails: the breaker stays open, its deliveries parked.
    clock.advance(seconds=61)
    run_review()
    queue.run_batches()
    assert len(recovering.received) == 1
    assert health_of("ep1")["state"] == "open"

    # The next probe, a new delivery, succeeds: every parked delivery is sent, once, a page at a time.
    recovering.replies = [Reply(503), Reply(200)]
    clock.advance(seconds=MAX_HOLD_SECONDS)
    [probe] = publish(ActivityKind.CLICK)
    queue.run_batches()
    assert health_of("ep1")["state"] == "healthy"
    queue.wake()  # the first probe's retry
    queue.run_batches()
    expected = {f"msg_{activity.id}_ep1" for activity in [*published, probe]}
    delivered = ids(recovering.received[1:])
    assert sorted(delivered) == sorted(expected)
    assert parked("ep1") == []
    assert {logged(activity, "ep1").status for activity in [*published, probe]} == {"delivered"}
    assert health_records().read([(12, "ep1")])[(12, "ep1")].parked_at is None
    assert health_of("ep1")["parked"] == 0
    assert dead_letters() == []


# What receivers say


def test_410_gone_disables_the_endpoint_after_one_attempt(queue: Queue, receiver: Any) -> None:
    gone: Receiver = receiver(Reply(410, body=b"no such hook"))
    endpoint(gone.url(), "ep1")
    first, *others = publish(ActivityKind.OPEN, ActivityKind.CLICK, ActivityKind.SEND)

    queue.run_batches(batches=1, size=1)
    queue.run_batches()
    publish(ActivityKind.OPEN)

    assert len(gone.received) == 1
    assert queue.empty()
    saved = export_endpoint_records().get_export_endpoint(12, "ep1")
    assert saved is not None
    assert saved.active is False
    shown = health_of("ep1")
    assert (shown["state"], shown["disabled_reason"]) == ("disabled", "its receiver answered 410 Gone")
    assert shown["last_error"] == "HTTP 410: no such hook"
    sent = logged(first, "ep1")
    assert (sent.status, sent.attempt_count) == ("failed", 1)
    for other in others:
        unsent = logged(other, "ep1")
        assert (unsent.status, unsent.attempt_count) == ("failed", 0)
        assert unsent.last_error == "not sent: the endpoint was disabled, as its receiver answered 410 Gone"
    assert len(dead_letters()) == 3
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == [OWNER]
    assert email.subject == "Webhook endpoint ep1 disabled"
    assert "was disabled on" in email.body
    assert "as its receiver answered 410 Gone" in email.body
    assert "no such hook" not in email.body


def test_abort_message_ends_the_retries_of_that_message(
    queue: Queue, receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    refusing: Receiver = receiver(
        Reply(422, headers={"webhook-delivery": "abort-message"}, body=b"unknown list")
    )
    endpoint(refusing.url(), "ep1")
    [activity] = publish(ActivityKind.CLICK)

    queue.run_batches()

    assert len(refusing.received) == 1
    assert queue.empty()
    assert dead_letters() == []
    record = logged(activity, "ep1")
    assert (record.status, record.attempt_count, record.last_error) == (
        "aborted",
        1,
        "HTTP 422: unknown list",
    )
    assert "delivery aborted" in caplog.messages
    # A deliberate answer: the endpoint is not failing.
    assert (health_of("ep1")["state"], health_of("ep1")["failure_rate"]) == ("healthy", 0.0)


def test_429_with_retry_after_holds_the_endpoint_back_that_long(
    queue: Queue, receiver: Any, clock: Clock
) -> None:
    busy: Receiver = receiver(Reply(429, headers={"Retry-After": "30"}, body=b"slow down"), Reply(200))
    endpoint(busy.url(), "ep1")
    published = publish(ActivityKind.CLICK, ActivityKind.OPEN)
    started = clock.at

    queue.run_batches(batches=1, size=1)
    assert len(busy.received) == 1
    assert queue.waits()[-1] >= 29  # that message, on the queue itself
    assert health_of("ep1")["state"] == "open"

    clock.advance(seconds=10)
    queue.run_batches()  # the other message, received meanwhile
    assert len(busy.received) == 1
    assert len(parked("ep1")) == 1

    clock.advance(seconds=19)
    queue.wake()
    queue.run_batches()  # the first, back a second early
    assert len(busy.received) == 1
    assert len(parked("ep1")) == 2
    assert queue.empty()

    clock.advance(seconds=1)
    run_review()
    queue.run_batches()
    assert clock.at - started >= timedelta(seconds=30)
    # One probe, which succeeds: the other parked delivery follows it, and each is delivered.
    assert len(busy.received) == 3
    assert health_of("ep1")["state"] == "healthy"
    assert set(ids(busy.received[1:])) == {f"msg_{activity.id}_ep1" for activity in published}
    assert queue.empty()


# The throttle


@pytest.fixture
def atomic_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS applies each request atomically (a conditional write above all); moto, called by several threads
    at once, does not: one request at a time, as devstack.local_aws serves them."""
    one_at_a_time = threading.Lock()
    process = BotocoreStubber.process_request

    def atomically(self: BotocoreStubber, request: Any) -> Any:
        with one_at_a_time:
            return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomically)


@pytest.mark.usefixtures("atomic_aws")
def test_a_throttle_of_two_at_once_is_never_exceeded(
    queue: Queue, receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THROTTLE_WAIT_SECONDS", "0")  # a throttled message is back at once
    monkeypatch.setenv("DELIVERY_TIMEOUT", "10")  # the containers contend for moto: no POST times out
    settings.cache_clear()
    # A receiver that holds each request a while, and notes the most it held at once.
    gauge: Receiver = receiver(Reply(204, body=b"", delay=0.1))
    endpoint(gauge.url(), "ep1", max_concurrency=2)
    publish(*[ActivityKind.CLICK] * 50)

    # Four containers of the deliver function at once, each taking batches until the queue is empty.
    containers = [threading.Thread(target=queue.run_batches) for _ in range(4)]
    for container in containers:
        container.start()
    for container in containers:
        container.join(timeout=50)

    assert len(set(ids(gauge.received))) == 50
    assert 1 <= gauge.peak <= 2
    assert queue.empty()


# Auto-disable, and recovery


def test_an_endpoint_that_only_fails_is_warned_of_then_disabled_and_recovers_what_failed(
    queue: Queue, receiver: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", "[]")  # each failure is final: failed, and recoverable
    settings.cache_clear()
    # What a receiver answers is its own to say: never in a mail from the platform's domain.
    receivers_words = b"Your account is locked: sign in at https://phish.example to unlock it"
    failing: Receiver = receiver(Reply(500, body=receivers_words))
    endpoint(failing.url(), "ep1")
    started = clock.at
    limits = settings()
    warn_after = timedelta(seconds=limits.endpoint_warn_after_seconds)
    disable_after = timedelta(seconds=limits.endpoint_disable_after_seconds)

    def review_at(moment: datetime) -> None:
        clock.at = moment
        run_review()

    early = publish(ActivityKind.CLICK, ActivityKind.OPEN)
    queue.run_batches()
    review_at(started + warn_after - timedelta(seconds=1))
    assert sent_emails() == []
    review_at(started + warn_after)
    [warning] = sent_emails()
    assert warning.destinations["ToAddresses"] == [OWNER]
    assert warning.subject == "Webhook endpoint ep1 failing"
    assert f"has failed since {started:%Y-%m-%d %H:%M} UTC: 2 failed attempts in a row." in warning.body
    assert "phish.example" not in warning.body
    review_at(started + warn_after + timedelta(hours=1))
    assert len(sent_emails()) == 1

    clock.at = started + timedelta(days=3)
    later = publish(ActivityKind.SEND, ActivityKind.CLICK)
    queue.run_batches()
    review_at(started + disable_after - timedelta(seconds=1))
    assert export_endpoint_records().get_export_endpoint(12, "ep1").active  # type: ignore[union-attr]
    review_at(started + disable_after)
    saved = export_endpoint_records().get_export_endpoint(12, "ep1")
    assert saved is not None
    assert saved.active is False
    assert health_of("ep1")["state"] == "disabled"
    disabled = sent_emails()[1]
    assert disabled.subject == "Webhook endpoint ep1 disabled"
    assert "phish.example" not in disabled.body
    assert len(failing.received) == 4

    clock.advance(hours=1)
    publish(ActivityKind.OPEN)  # not queued for an endpoint that is switched off
    failing.replies = [Reply(200)]
    since = (started + timedelta(days=2)).isoformat()
    status, recovered = admin("POST", "/admin/endpoints/ep1/recover", body={"since": since})
    assert status == 202, recovered
    assert (recovered["queued"], recovered["endpoint"]["active"]) == (2, True)
    assert recovered["endpoint"]["health"]["state"] == "healthy"
    queue.run_batches()

    replayed = [f"msg_{activity.id}_ep1" for activity in later]
    assert sorted(ids(failing.received)[4:]) == sorted(replayed)
    assert [logged(activity, "ep1").status for activity in later] == ["delivered"] * 2
    assert [logged(activity, "ep1").status for activity in early] == ["failed"] * 2


def test_recovering_a_disabled_endpoint_sends_every_delivery_parked_before(
    queue: Queue, receiver: Any, clock: Clock
) -> None:
    revived: Receiver = receiver()
    created = endpoint(revived.url(), "ep1", [ActivityKind.CLICK])
    health_records().open((12, "ep1"), clock.at, clock.at + timedelta(seconds=60))
    published = publish(ActivityKind.CLICK, ActivityKind.CLICK, ActivityKind.CLICK)
    disable(created, "its receiver answered 410 Gone", clock.at)
    assert health_of("ep1")["parked"] == 3

    clock.advance(days=2)
    since = clock.at.isoformat()  # later than any failure: parked deliveries are sent whatever the time
    status, recovered = admin("POST", "/admin/endpoints/ep1/recover", body={"since": since})
    assert status == 202, recovered
    assert (recovered["queued"], recovered["endpoint"]["health"]["parked"]) == (3, 0)
    queue.run_batches()

    assert sorted(ids(revived.received)) == sorted(f"msg_{activity.id}_ep1" for activity in published)
    assert parked("ep1") == []


def test_a_delivery_parked_as_long_as_the_log_keeps_deliveries_is_failed_and_dead_lettered(
    queue: Queue, receiver: Any, clock: Clock
) -> None:
    dead: Receiver = receiver(Reply(503))
    endpoint(dead.url(), "ep1", [ActivityKind.CLICK])
    # Open for longer than the test: no probe is ever sent.
    health_records().open((12, "ep1"), clock.at, clock.at + timedelta(days=90))
    parked_first = clock.at
    first = publish(ActivityKind.CLICK, ActivityKind.CLICK)
    clock.advance(days=10)
    later = publish(ActivityKind.CLICK)
    table = boto3.resource("dynamodb").Table(settings().delivery_table)
    batches = [item for item in table.scan()["Items"] if str(item["sk"]).startswith("PARKED#")]
    assert len(batches) == 2
    assert all("expires_at" not in batch for batch in batches)  # no TTL takes one before it is given up

    clock.at = parked_first + RETENTION - timedelta(seconds=1)
    run_review()
    assert (len(parked("ep1")), deliveries("ep1", "failed"), dead_letters()) == (3, [], [])

    clock.at = parked_first + RETENTION + timedelta(seconds=1)
    run_review()

    expired = "expired while the endpoint's breaker was open"
    assert parked("ep1") == [f"msg_{later[0].id}_ep1"]
    assert health_of("ep1")["parked"] == 1
    for activity in first:
        record = logged(activity, "ep1")
        assert (record.status, record.last_error, record.attempt_count) == ("failed", expired, 0)
    letters = receive_all(settings().delivery_dead_letter_queue_url, MessageAttributeNames=["All"])
    assert sorted(json.loads(letter["Body"])["webhook_id"] for letter in letters) == sorted(
        f"msg_{activity.id}_ep1" for activity in first
    )
    assert {letter["MessageAttributes"]["error"]["StringValue"] for letter in letters} == {expired}
    assert (dead.received, queue.empty()) == ([], True)

    clock.advance(days=10)
    run_review()
    assert (parked("ep1"), logged(later[0], "ep1").status, health_of("ep1")["parked"]) == ([], "failed", 0)


# The admin API


def test_the_admin_api_shows_each_endpoints_health_and_takes_its_limits(queue: Queue, receiver: Any) -> None:
    failing: Receiver = receiver(Reply(503, body=b"maintenance"))
    status, created = admin(
        "POST",
        "/admin/endpoints",
        body={"url": failing.url(), "activities": ["click"], "owner_email": OWNER, "max_per_second": 5},
    )
    assert status == 201, created
    assert (created["owner_email"], created["max_per_second"], created["max_concurrency"]) == (OWNER, 5, None)
    assert created["health"] == {
        "state": "healthy",
        "state_changed_at": None,
        "open_until": None,
        "recent_attempts": 0,
        "failure_rate": None,
        "consecutive_failures": 0,
        "failing_since": None,
        "disabled_reason": None,
        "last_error": None,
        "last_error_at": None,
        "parked": 0,
    }
    publish(ActivityKind.CLICK, ActivityKind.CLICK)

    queue.run_batches()

    [shown] = admin("GET", "/admin/endpoints")[1]
    assert shown["health"]["state"] == "open"  # a 503 holds it back
    assert (shown["health"]["recent_attempts"], shown["health"]["failure_rate"]) == (2, 1.0)
    assert (shown["health"]["consecutive_failures"], shown["health"]["last_error"]) == (
        2,
        "HTTP 503: maintenance",
    )
    changed = admin(
        "PATCH", f"/admin/endpoints/{created['id']}", body={"max_per_second": None, "max_concurrency": 3}
    )
    assert (changed[1]["max_per_second"], changed[1]["max_concurrency"]) == (None, 3)
    assert admin("PATCH", f"/admin/endpoints/{created['id']}", body={"max_concurrency": 0})[0] == 400
    assert admin("POST", "/admin/endpoints/ep_gone/recover", body={"since": "2026-01-01T00:00:00Z"})[0] == 404
    assert (
        admin("POST", f"/admin/endpoints/{created['id']}/recover", body={"since": "2026-01-01T00:00:00"})[0]
        == 400
    )
    admin("DELETE", f"/admin/endpoints/{created['id']}")
    assert health_records().read([(12, created["id"])])[(12, created["id"])].attempts == {}
