"""The JSON form of the records kept as dataclasses (mailhooks.json_form): what pydantic wrote of the same
records before, so that items stored and messages queued by either read back alike."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter

from mailhooks.json_form import json_data, json_text, stamp
from mailhooks.models import (
    AbTest,
    ActivityKind,
    Campaign,
    CustomField,
    ExportEndpoint,
    MailingList,
    RecipientCursor,
    SendingType,
    Subscriber,
    Variant,
)
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.delivery_message import DeliveryMessage, NotADeliveryMessage
from mailhooks.sending.campaign_sender import CampaignRequest

AT = datetime(2026, 11, 23, 10, 2, 41, 377000, tzinfo=UTC)


@pytest.mark.parametrize(
    "at",
    [
        AT,
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 23, 11, 2, 41, 500, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 11, 23, 10, 2, 41, tzinfo=timezone(timedelta(0))),
    ],
)
def test_a_datetime_is_kept_as_pydantic_wrote_it(at: datetime) -> None:
    assert stamp(at) == TypeAdapter(datetime).dump_python(at, mode="json")


def test_an_endpoint_reads_back_from_its_json_form_as_it_was() -> None:
    endpoint = ExportEndpoint(
        id="ep_1",
        account_id=12,
        url="https://hooks.example.com/in",
        activities=[ActivityKind.OPEN, ActivityKind.CLICK],
        secret="whsec_a",
        previous_secret="whsec_b",
        previous_secret_expires_at=AT,
        max_per_second=5,
        created_at=AT,
        updated_at=AT + timedelta(seconds=1),
    )

    data = json_data(endpoint)

    assert data["activities"] == [2, 3]
    assert data["previous_secret_expires_at"] == "2026-11-23T10:02:41.377000Z"
    assert ExportEndpoint.of({**data, "pk": "ACCOUNT#12", "sk": "ENDPOINT#ep_1"}) == endpoint


def test_an_activity_reads_back_from_its_json_form_with_its_kinds() -> None:
    record = ActivityRecord(
        account_id=12,
        action_id=345,
        type_id=SendingType.CAMPAIGN,
        activity_id=ActivityKind.CLICK,
        email="ana@example.com",
        occurred_at=AT,
        url="https://shop.example/",
    )

    again = ActivityRecord.of(json_data(record))

    assert again == record
    assert isinstance(again.activity_id, ActivityKind)
    assert isinstance(again.type_id, SendingType)


def test_a_list_and_its_subscriber_read_back_from_their_json_form_as_they_were() -> None:
    mailing_list = MailingList(
        id=2222, account_id=12, name="News", fields=[CustomField("city", required=True)], created_at=AT
    )
    subscriber = Subscriber(
        id=7, list_id=2222, email="ana@example.com", status="pending", fields={"city": "Lyon"}, created_at=AT
    )

    assert MailingList.of(json_data(mailing_list)) == mailing_list
    assert Subscriber.of({**json_data(subscriber), "pk": "LIST#2222"}) == subscriber
    # A custom field kept without its type or requirement has the defaults.
    assert MailingList.of({"id": 1, "account_id": 12, "name": "L", "fields": [{"name": "a"}]}).fields == [
        CustomField("a", "text", False)
    ]


def test_a_delivery_message_is_queued_as_compact_json_and_read_back() -> None:
    message = DeliveryMessage("msg_a_ep", 12, "ep", "a", {"email": "núria@example.com", "n": 1})

    text = message.queued()

    assert text == '{"webhook_id":"msg_a_ep","account_id":12,"endpoint_id":"ep","activity_id":"a",' + (
        '"payload":{"email":"núria@example.com","n":1}}'
    )
    assert DeliveryMessage.of(text) == message


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ("[]", "body: Input should be an object"),
        (
            "{",
            "body: Invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (
            '{"webhook_id": "w", "account_id": true, "endpoint_id": "e", "activity_id": "a", "payload": []}',
            "account_id: Input should be a valid integer; payload: Input should be a valid dictionary",
        ),
    ],
)
def test_a_body_that_is_no_delivery_message_has_each_problem_named(body: str, problems: str) -> None:
    with pytest.raises(NotADeliveryMessage) as refused:
        DeliveryMessage.of(body)

    assert str(refused.value) == problems


def test_what_has_no_json_form_is_refused() -> None:
    with pytest.raises(TypeError, match="set has no JSON form"):
        json_text(DeliveryMessage("w", 1, "e", "a", {"kinds": {1}}))


def test_a_campaign_reads_back_from_its_json_form_with_its_a_b_test_and_cursor() -> None:
    campaign = Campaign(
        id=5,
        account_id=12,
        name="Black Friday",
        from_name="Shop",
        from_email="news@shop.example",
        subject="Offers",
        list_ids=[2222, 3333],
        template_id=31,
        base_url="https://api.example/dev",
        status="testing",
        cursor=RecipientCursor(list_id=2222, after="ana@example.com"),
        ab_test=AbTest(
            variants=[Variant("A", 31, sends=3, opens=1), Variant("B", 32)],
            test_share=20,
            wait_seconds=3600,
            winner_by="opens",
            winner_due_at=AT,
        ),
        created_at=AT,
    )

    assert Campaign.of(json_data(campaign)) == campaign
    assert Campaign.of({**json_data(campaign), "cursor": None, "ab_test": None}).ab_test is None


@pytest.mark.parametrize(
    "body",
    [
        '{"account_id": 12}',
        '{"account_id": "12", "campaign_id": 5}',
        '{"account_id": true, "campaign_id": 5}',
    ],
)
def test_a_body_that_is_no_campaign_request_is_refused(body: str) -> None:
    with pytest.raises(ValueError, match="account_id and campaign_id should be integers"):
        CampaignRequest.of(body)

    assert CampaignRequest.of('{"account_id": 12, "campaign_id": 5}') == CampaignRequest(12, 5)
