"""A/B campaigns end to end: created through the admin API, sent by the campaign sender as Lambda's SQS
trigger runs it on moto's CampaignQueue, opens published by SES reaching the SES events function, the
winner sent to the rest after the wait (the queue's delay, which the test lets pass), and every send and
open exported to a loopback receiver through the fan-out and deliver functions."""

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.template import Stack
from mailhooks.models import ActivityKind, ExportEndpoint, Subscriber
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.settings import settings
from mailhooks.store.counters import next_id
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.lists import list_records
from tests.support.activities import ses_requests, tags
from tests.support.admin import admin
from tests.support.health import Clock
from tests.support.helpers import FakeLambdaContext, load_event, seed_account, seed_list, seed_template
from tests.support.receivers import Receiver, receivers
from tests.support.streams import StreamTail
from tests.support.triggers import QueueTrigger, run_queue

RECIPIENTS = [f"r{n:02d}@example.com" for n in range(24)]
HOUR = 3600


class LongContext(FakeLambdaContext):
    """An invocation with time for every page."""

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def receiver(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """Account 12 with list 2222 of RECIPIENTS, templates 31 and 32, and an export endpoint ticking every
    kind at a loopback receiver; the admin function's environment."""
    for name, value in stack.function_environment("AdminFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    settings.cache_clear()
    seed_account()
    seed_list()
    seed_template(template_id=31)
    seed_template(template_id=32)
    for address in RECIPIENTS:
        subscriber = Subscriber(id=next_id("subscriber"), list_id=2222, email=address, status="active")
        assert list_records().create_subscriber(subscriber, 12)
    with receivers() as start:
        started = start()
        export_endpoint_records().put_export_endpoint(
            ExportEndpoint(
                id="ep1", account_id=12, url=started.url(), activities=list(ActivityKind), secret=new_secret()
            )
        )
        yield started


def campaign_sender(stack: Stack) -> QueueTrigger:
    from functions.campaign_sender.app import handler

    return QueueTrigger(stack, handler, "CampaignQueue", context=LongContext)


def let_time_pass(sender: QueueTrigger, clock: Clock, seconds: int) -> None:
    """The clock moves on, and so the messages delayed until then become visible."""
    clock.advance(seconds=seconds)
    for message in sender.messages():
        message.delayed_until = 0


def open_of(request: dict[str, Any]) -> dict[str, Any]:
    """The SNS event of SES's open notification of the email SendEmail sent with these parameters."""
    event = load_event("sns_ses_open.json")
    notification = json.loads(event["Records"][0]["Sns"]["Message"])
    notification["mail"]["destination"] = request["Destination"]["ToAddresses"]
    notification["mail"]["tags"] = {name: [value] for name, value in tags(request).items()}
    event["Records"][0]["Sns"]["Message"] = json.dumps(notification)
    event["Records"][0]["Sns"]["MessageId"] = request["Destination"]["ToAddresses"][0]
    return event


def subject_of(request: dict[str, Any]) -> str:
    raw = request["Content"]["Raw"]["Data"].decode()
    return next(line.removeprefix("Subject: ") for line in raw.splitlines() if line.startswith("Subject: "))


def test_an_ab_campaign_tests_two_variants_then_sends_the_one_most_opened_to_the_rest(
    stack: Stack, receiver: Receiver, clock: Clock
) -> None:
    from functions.delivery.app import handler as deliver
    from functions.fanout.app import handler as fan_out
    from functions.ses_events.app import handler as ses_events

    tail = StreamTail(stack, "ActivityTable")
    status, created = admin(
        "POST",
        "/admin/campaigns",
        body={
            "name": "Spring",
            "from_name": "Shop",
            "from_email": "news@shop.example",
            "template_id": 31,
            "lists": [2222],
            "variants": [{"subject": "Spring offer"}, {"subject": "20% off, today", "template_id": 32}],
            "test_share": 50,
            "wait_seconds": 2 * HOUR,
            "winner_by": "opens",
        },
    )
    assert status == 201, created
    campaign_id = created["id"]
    sender = campaign_sender(stack)

    with ses_requests() as test_round:
        sender.run_batches()
    testing = admin("GET", f"/admin/campaigns/{campaign_id}")[1]
    # The variants' recipients open: two of the first variant's, all of the second's.
    by_variant: dict[str, list[dict[str, Any]]] = {"1": [], "2": []}
    for request in test_round:
        by_variant[tags(request)["variant"]].append(request)
    for request in by_variant["1"][:2] + by_variant["2"]:
        ses_events(open_of(request), FakeLambdaContext())
        ses_events(open_of(request), FakeLambdaContext())  # SNS delivers at least once
    # The winner is chosen after the wait, whatever message comes before: SQS delays by 15 minutes at most.
    with ses_requests() as too_early:
        for _ in range(7):
            let_time_pass(sender, clock, 15 * 60)
            sender.run_batches()
    waiting = admin("GET", f"/admin/campaigns/{campaign_id}")[1]
    with ses_requests() as rest:
        let_time_pass(sender, clock, 15 * 60)
        sender.run_batches()
    done = admin("GET", f"/admin/campaigns/{campaign_id}")[1]

    tested = [request["Destination"]["ToAddresses"][0] for request in test_round]
    assert 0 < len(tested) < len(RECIPIENTS)
    assert abs(len(by_variant["1"]) - len(by_variant["2"])) <= 1
    assert {subject_of(request) for request in by_variant["1"]} == {"Spring offer"}
    assert {subject_of(request) for request in by_variant["2"]} == {"20% off, today"}
    assert testing["status"] == "waiting"
    assert [(v["sends"], v["opens"], v["clicks"]) for v in testing["variants"]] == [
        (len(by_variant["1"]), 0, 0),
        (len(by_variant["2"]), 0, 0),
    ]
    assert too_early == []
    assert (waiting["status"], waiting["winner"]) == ("waiting", None)
    assert [v["opens"] for v in waiting["variants"]] == [2, len(by_variant["2"])]
    sent_rest = sorted(request["Destination"]["ToAddresses"][0] for request in rest)
    assert sent_rest == sorted(set(RECIPIENTS) - set(tested))
    assert {(subject_of(request), tags(request)["variant"], tags(request)["type"]) for request in rest} == {
        ("20% off, today", "2", "2")
    }
    assert (done["status"], done["winner"], done["sent_count"]) == ("sent", 2, len(RECIPIENTS))
    assert [v["sends"] for v in done["variants"]] == [
        len(by_variant["1"]),
        len(RECIPIENTS) - len(by_variant["1"]),
    ]
    assert sender.empty()

    assert fan_out(tail.next_event(), FakeLambdaContext()) == {"batchItemFailures": []}
    run_queue(stack, "DeliveryQueue", deliver)
    exported = [json.loads(received.body) for received in receiver.received]
    assert Counter((body["activity_id"], body["type_id"], body["action_id"]) for body in exported) == {
        (1, 2, campaign_id): len(RECIPIENTS),
        (2, 2, campaign_id): 2 + len(by_variant["2"]),
    }
    assert sorted(body["email"] for body in exported if body["activity_id"] == 1) == RECIPIENTS


def test_an_ab_campaign_is_refused_with_each_problem_named(stack: Stack, receiver: Receiver) -> None:
    base = {
        "name": "Spring",
        "from_name": "Shop",
        "from_email": "news@shop.example",
        "template_id": 31,
        "lists": [2222],
        "test_share": 20,
        "wait_seconds": HOUR,
        "winner_by": "clicks",
    }
    one_variant = admin("POST", "/admin/campaigns", body={**base, "variants": [{"subject": "A"}]})
    five = admin("POST", "/admin/campaigns", body={**base, "variants": [{"subject": "A"}] * 5})
    no_subject = admin("POST", "/admin/campaigns", body={**base, "variants": [{"subject": "A"}, {}]})
    missing_template = admin(
        "POST",
        "/admin/campaigns",
        body={**base, "variants": [{"subject": "A"}, {"subject": "B", "template_id": 99}]},
    )
    created = admin(
        "POST", "/admin/campaigns", body={**base, "variants": [{"subject": "A"}, {"subject": "B"}]}
    )

    assert [one_variant[0], five[0]] == [400, 400]
    assert no_subject == (400, {"error": "body: variants.1: needs a subject, or the campaign's"})
    assert missing_template == (404, {"error": "template 99 was not found"})
    assert created[0] == 201
    assert admin("GET", f"/admin/campaigns/{created[1]['id']}", 13) == (
        404,
        {"error": f"campaign {created[1]['id']} was not found"},
    )
