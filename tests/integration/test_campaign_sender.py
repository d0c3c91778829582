"""The campaign sender, run as Lambda's SQS trigger runs it on the messages really on moto's CampaignQueue.

Campaigns are queued through the inbound send-campaign operation; every email is read back from moto's
SES as the raw MIME message sent, and every send activity from the activity table.
"""

import base64
import email
import json
import re
from email.message import EmailMessage
from email.policy import default
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.models import (
    ActivityKind,
    CustomField,
    EmailTemplate,
    SendingType,
    Subscriber,
    SubscriberStatus,
)
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.counters import next_id
from mailhooks.store.lists import list_records
from tests.support.activities import (
    activities,
    activity,
    held,
    published,
    ses_requests,
    subscriber_page,
    tags,
)
from tests.support.helpers import (
    CAMPAIGN_MAPPING,
    FakeLambdaContext,
    call,
    hook_event,
    load_event,
    seed_account,
    seed_list,
    seed_webhook,
    sent_emails,
)
from tests.support.triggers import QueueTrigger

pytestmark = pytest.mark.usefixtures("stack")

UNSUBSCRIBE_LINK = re.compile(
    r"<(https://abc123defg\.execute-api\.us-east-1\.amazonaws\.com/dev/subscriptions/unsubscribe/"
    r"([A-Za-z0-9_-]{43}))>"
)


class DwindlingContext(FakeLambdaContext):
    """A Lambda context whose remaining time drops by `step` each time the function reads it."""

    def __init__(self, start: int = 300_000, step: int = 0) -> None:
        super().__init__()
        self.left = start
        self.step = step

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        left, self.left = self.left, self.left - self.step
        return left


def queue_url(stack: Stack) -> str:
    url: str = stack.physical["CampaignQueue"]["QueueUrl"]
    return url


def subscribe(list_id: int, address: str, status: SubscriberStatus = "active", **fields: Any) -> None:
    subscriber = Subscriber(
        id=next_id("subscriber"), list_id=list_id, email=address, status=status, fields=fields
    )
    assert list_records().create_subscriber(subscriber, 12)


def queue_campaign(lists: list[int], html: str = "<p>Hello {{email}}</p>") -> int:
    """Queue a campaign to the lists through the inbound send-campaign operation; its id."""
    campaign_records().put_template(EmailTemplate(id=31, account_id=12, name="Offer", html=html))
    webhook = seed_webhook("send_campaign", CAMPAIGN_MAPPING)
    campaign = {
        "name": "Black Friday",
        "from_name": "Shop Example",
        "from_email": "news@shop.example",
        "subject": "Our best offer",
        "lists": lists,
        "template_id": 31,
    }
    status, body, _ = call(hook_event(webhook.token, json.dumps(campaign)))
    assert status == 200
    campaign_id: int = body["id"]  # type: ignore[index]
    return campaign_id


def receive(stack: Stack) -> dict[str, Any] | None:
    messages = boto3.client("sqs").receive_message(
        QueueUrl=queue_url(stack), MaxNumberOfMessages=1, AttributeNames=["All"]
    )
    return messages["Messages"][0] if messages.get("Messages") else None


def sqs_event(stack: Stack, message: dict[str, Any]) -> dict[str, Any]:
    """The event Lambda's SQS trigger makes of a message: the sample's shape with the message's values."""
    event = load_event("sqs_campaign_queued.json")
    event["Records"][0].update(
        messageId=message["MessageId"],
        receiptHandle=message["ReceiptHandle"],
        body=message["Body"],
        md5OfBody=message["MD5OfBody"],
        attributes=message["Attributes"],
        eventSourceARN=stack.physical["CampaignQueue"]["Arn"],
    )
    return event


def deliver(stack: Stack, message: dict[str, Any], context: FakeLambdaContext) -> bool:
    """Invoke the campaign sender with the message; as the trigger does, delete it once it is processed."""
    from functions.campaign_sender.app import handler

    answer = handler(sqs_event(stack, message), context)  # type: ignore[arg-type]
    if answer["batchItemFailures"]:
        assert answer["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
        return False
    boto3.client("sqs").delete_message(QueueUrl=queue_url(stack), ReceiptHandle=message["ReceiptHandle"])
    return True


def drain(stack: Stack, start: int = 300_000, step: int = 0) -> int:
    """Deliver what the queue holds until it is empty, each invocation with a fresh context, as the queue's
    trigger does; each message must be processed. How many invocations."""
    from functions.campaign_sender.app import handler

    sender = QueueTrigger(stack, handler, "CampaignQueue", context=lambda: DwindlingContext(start, step))
    invocations = sender.run_batches()
    assert (sender.errors, sender.reported()) == ([], [])
    return invocations


def campaign_emails() -> list[EmailMessage]:
    return [
        email.message_from_string(sent.raw_data, policy=default)  # type: ignore[misc]
        for sent in sent_emails()
        if hasattr(sent, "raw_data")
    ]


def recipients() -> list[str]:
    return sorted(str(message["To"]) for message in campaign_emails())


def test_a_campaign_goes_once_to_each_active_address_of_its_lists_with_a_one_click_unsubscribe(
    stack: Stack,
) -> None:
    seed_account()
    seed_list(list_id=2222, fields=[CustomField(name="name")])
    seed_list(list_id=2223)
    subscribe(2222, "ana@example.com", name="Ana <& Co>")
    subscribe(2222, "bob@example.com")
    subscribe(2222, "cyd@example.com", "pending")
    subscribe(2222, "dan@example.com", "unsubscribed")
    subscribe(2223, "bob@example.com")
    subscribe(2223, "eve@example.com")
    subscribe(2223, "fay@example.com", "pending")
    campaign_id = queue_campaign([2222, 2223], "<p>Hello {{ name }} &lt;{{email}}&gt;{{missing}}!</p>")

    with ses_requests() as requests:
        assert drain(stack) == 1

    assert recipients() == ["ana@example.com", "bob@example.com", "eve@example.com"]
    assert [tags(request) for request in requests] == [
        {"account": "12", "action": str(campaign_id), "type": "1"}
    ] * 3
    assert {request["ConfigurationSetName"] for request in requests} == {"mailhooks-dev"}
    by_recipient = {str(message["To"]): message for message in campaign_emails()}
    ana = by_recipient["ana@example.com"]
    assert (str(ana["From"]), str(ana["Subject"])) == ("Shop Example <news@shop.example>", "Our best offer")
    assert ana.get_content() == "<p>Hello Ana &lt;&amp; Co&gt; &lt;ana@example.com&gt;!</p>\r\n"
    assert by_recipient["eve@example.com"].get_content() == "<p>Hello  &lt;eve@example.com&gt;!</p>\r\n"
    for address, message in by_recipient.items():
        link = UNSUBSCRIBE_LINK.fullmatch(str(message["List-Unsubscribe"]))
        assert link is not None
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # The link of the first list the address is in, as the email was sent for it.
        first_list = 2222 if address != "eve@example.com" else 2223
        assert link.group(2) == list_records().get_subscriber(first_list, address).unsubscribe_token  # type: ignore[union-attr]
    sends = activities()
    assert sorted(record.email for record in sends) == recipients()
    for record in sends:
        assert held(record) == activity(ActivityKind.SEND, SendingType.CAMPAIGN, campaign_id, record.email)
        assert published(record) == {
            "account_id": 12,
            "action_id": campaign_id,
            "type_id": 1,
            "activity_id": 1,
            "email": record.email,
        }
    campaign = campaign_records().get_campaign(12, campaign_id)
    assert campaign is not None
    assert (campaign.status, campaign.sent_count, campaign.cursor) == ("sent", 3, None)


def test_a_campaign_larger_than_one_invocation_resumes_where_it_stopped(stack: Stack) -> None:
    seed_account()
    seed_list(list_id=2222)
    seed_list(list_id=2223)
    for number in range(60):
        subscribe(2222, f"a{number:03d}@example.com")
    for number in range(10):
        subscribe(2223, f"a{number:03d}@example.com")
    for number in range(15):
        subscribe(2223, f"b{number:03d}@example.com")
    subscribe(2223, "pending@example.com", "pending")
    campaign_id = queue_campaign([2222, 2223])
    # Each invocation has time for two pages of 25: the third waits for the next one.
    start, step = 50_000, 30_000

    first = receive(stack)
    assert first is not None
    assert deliver(stack, first, DwindlingContext(start, step))

    halfway = campaign_records().get_campaign(12, campaign_id)
    assert halfway is not None
    assert (halfway.status, halfway.sent_count) == ("sending", 50)
    assert halfway.cursor is not None
    assert (halfway.cursor.list_id, halfway.cursor.after) == (2222, "a049@example.com")
    assert len(sent_emails()) == 50

    assert drain(stack, start, step) == 2

    expected = sorted(
        [f"a{number:03d}@example.com" for number in range(60)]
        + [f"b{number:03d}@example.com" for number in range(15)]
    )
    assert recipients() == expected
    assert sorted(record.email for record in activities()) == expected
    done = campaign_records().get_campaign(12, campaign_id)
    assert done is not None
    assert (done.status, done.sent_count, done.cursor) == ("sent", 75, None)


def test_a_message_redelivered_after_a_failed_send_sends_no_address_twice(stack: Stack) -> None:
    seed_account()
    seed_list()
    addresses = [f"s{number}@example.com" for number in range(8)]
    for address in addresses:
        subscribe(2222, address)
    campaign_id = queue_campaign([2222])
    sends = 0

    def throttle_the_fifth(**_: Any) -> None:
        nonlocal sends
        sends += 1
        if sends == 5:
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "Too many requests"}}, "SendEmail"
            )

    aws().sesv2.meta.events.register("before-call.sesv2.SendEmail", throttle_the_fifth)
    message = receive(stack)
    assert message is not None

    assert not deliver(stack, message, DwindlingContext())

    assert recipients() == addresses[:4]
    assert len(activities()) == 4
    failed = campaign_records().get_campaign(12, campaign_id)
    assert failed is not None
    assert (failed.status, failed.sent_count) == ("sending", 4)
    # SQS delivers the message again once its visibility timeout is over.
    boto3.client("sqs").change_message_visibility(
        QueueUrl=queue_url(stack), ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    assert drain(stack) == 1
    assert recipients() == addresses
    assert sorted(record.email for record in activities()) == addresses
    assert campaign_records().get_campaign(12, campaign_id).sent_count == 8  # type: ignore[union-attr]


def test_a_duplicate_of_a_campaign_message_sends_no_address_twice(stack: Stack) -> None:
    seed_account()
    seed_list()
    addresses = sorted(f"d{number:03d}@example.com" for number in range(40))
    for address in addresses:
        subscribe(2222, address)
    campaign_id = queue_campaign([2222])
    message = receive(stack)
    assert message is not None

    # SQS delivers at least once: the same message twice, each time with time for one page.
    assert deliver(stack, message, DwindlingContext(start=10_000))
    assert deliver(stack, message, DwindlingContext(start=10_000))
    drain(stack)

    assert recipients() == addresses
    assert len(activities()) == 40
    campaign = campaign_records().get_campaign(12, campaign_id)
    assert campaign is not None
    assert (campaign.status, campaign.sent_count) == ("sent", 40)


def test_the_list_unsubscribe_link_unsubscribes_with_one_click_and_records_it_once(stack: Stack) -> None:
    seed_account()
    seed_list()
    subscribe(2222, "ana@example.com")
    queue_campaign([2222])
    drain(stack)
    [message] = campaign_emails()
    link = UNSUBSCRIBE_LINK.fullmatch(str(message["List-Unsubscribe"]))
    assert link is not None

    def link_event(
        method: str, body: bytes = b"", content_type: str | None = None, token: str = link.group(2)
    ) -> dict[str, Any]:
        """The sample one-click POST (RFC 8058's multipart form), or another method or body."""
        event = load_event("subscriptions_one_click_unsubscribe.json")
        event.update(
            httpMethod=method, path=f"/subscriptions/unsubscribe/{token}", pathParameters={"token": token}
        )
        event["requestContext"].update(httpMethod=method, path=f"/dev/subscriptions/unsubscribe/{token}")
        if method == "GET" or content_type is not None:
            headers = {k: v for k, v in event["headers"].items() if k != "Content-Type"}
            headers.update({"Content-Type": content_type} if content_type else {})
            event.update(headers=headers, multiValueHeaders={k: [v] for k, v in headers.items()})
            event.update(body=base64.b64encode(body).decode() if body else None, isBase64Encoded=bool(body))
        return event

    shown = subscriber_page(link_event("GET"))
    not_one_click = subscriber_page(
        link_event("POST", b"unsubscribe=yes", "application/x-www-form-urlencoded")
    )
    still = list_records().get_subscriber(2222, "ana@example.com")
    one_click = subscriber_page(link_event("POST"))
    again = subscriber_page(
        link_event("POST", b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")
    )

    assert shown[0] == 200
    assert "Unsubscribe ana@example.com from List 2222?" in shown[1]
    assert '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">' in shown[1]
    assert not_one_click[0] == 400
    assert still is not None
    assert still.status == "active"
    assert one_click[0] == again[0] == 200
    assert "ana@example.com gets no more emails from List 2222." in one_click[1]
    assert list_records().get_subscriber(2222, "ana@example.com").status == "unsubscribed"  # type: ignore[union-attr]
    send, unsubscribe = activities()
    assert send.activity_id == ActivityKind.SEND
    assert held(unsubscribe) == activity(
        ActivityKind.UNSUBSCRIBE, SendingType.CAMPAIGN, 2222, "ana@example.com"
    )
    assert published(unsubscribe)["activity_id"] == 5
    assert subscriber_page(link_event("GET", token="x" * 43))[0] == 404
