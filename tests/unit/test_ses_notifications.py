"""SES event notifications as the SES events function reads them (mailhooks.sending.ses_events): what is
not one is refused with what is wrong, and message tags that name no sending of the platform's are none."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mailhooks.models import SendingType
from mailhooks.sending.ses_events import NotANotification, Sending, SesNotification

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _sample(name: str) -> dict[str, Any]:
    """The notification of a sample SNS event: SES's own JSON, as it publishes it."""
    event = json.loads((EVENTS / name).read_text())
    notification: dict[str, Any] = json.loads(event["Records"][0]["Sns"]["Message"])
    return notification


def test_a_complaint_names_each_complained_recipient_at_its_time() -> None:
    sample = _sample("sns_ses_complaint.json")
    sample["complaint"]["complainedRecipients"] = [
        {"emailAddress": "a@x.example"},
        {"emailAddress": "b@x.example"},
    ]

    notification = SesNotification.of(json.dumps(sample))

    at = datetime(2026, 11, 23, 11, 40, 17, tzinfo=UTC)
    assert notification.happened == [("a@x.example", at, None), ("b@x.example", at, None)]
    assert notification.sending() == Sending(account=12, action=345, type=SendingType.CAMPAIGN)


def test_an_event_of_another_kind_names_no_one() -> None:
    sample = _sample("sns_ses_open.json")
    sample["eventType"] = "Delivery"

    assert SesNotification.of(json.dumps(sample)).happened is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda sample: sample.pop("mail"), "mail should be a dict"),
        (lambda sample: sample["mail"].update(destination=[]), "destination should name a recipient"),
        (lambda sample: sample["mail"]["tags"].update(account="12"), "account should be a list"),
        (lambda sample: sample["open"].update(timestamp="2026-11-23T10:02:41"), "timestamp should name its"),
        (lambda sample: sample["open"].update(timestamp="yesterday"), "timestamp should be a date and time"),
    ],
)
def test_what_is_no_notification_is_refused_with_what_is_wrong(change: Any, problem: str) -> None:
    sample = _sample("sns_ses_open.json")
    change(sample)

    with pytest.raises(NotANotification, match=problem):
        SesNotification.of(json.dumps(sample))


@pytest.mark.parametrize(
    "tags",
    [
        {"account": ["12"], "action": ["345"]},
        {"account": ["12"], "action": ["345"], "type": ["99"]},
        {"account": ["x12"], "action": ["345"], "type": ["1"]},
        {"account": ["12"], "action": ["345"], "type": ["1"], "variant": ["0"]},
    ],
)
def test_tags_that_name_no_sending_of_the_platform_are_none(tags: dict[str, list[str]]) -> None:
    sample = _sample("sns_ses_open.json")
    sample["mail"]["tags"] = tags

    assert SesNotification.of(json.dumps(sample)).sending() is None


def test_an_a_b_variant_is_named_by_its_number() -> None:
    sample = _sample("sns_ses_click.json")
    sample["mail"]["tags"]["variant"] = ["2"]

    sending = SesNotification.of(json.dumps(sample)).sending()

    assert sending is not None
    assert sending.variant == 2
