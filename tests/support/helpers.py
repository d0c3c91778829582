"""Building API Gateway events and platform records the way production has them."""

import base64
import copy
import json
from typing import Any

import boto3

from devstack.functions import LambdaContext
from devstack.moto_fixes import verify_domain
from devstack.template import ACCOUNT_ID, REGION, ROOT, Stack
from mailhooks.aws import aws
from mailhooks.inbound.inbound_webhooks import new_inbound_webhook
from mailhooks.models import (
    Account,
    AccountLimits,
    ActivityKind,
    CustomField,
    EmailTemplate,
    InboundWebhook,
    MailingList,
    Plan,
    SendingType,
)
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.sending.sending_domains import add_sending_domain, sending_domains
from mailhooks.store.accounts import account_records
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from mailhooks.store.lists import list_records

EVENTS = ROOT / "events"
# A send_campaign call whose body names each parameter after itself, and the mapping that reads it.
CAMPAIGN_CALL = {
    "name": "Offer",
    "from_name": "Shop",
    "from_email": "news@shop.example",
    "subject": "Offer",
    "lists": [2222],
    "template_id": 31,
}
CAMPAIGN_MAPPING = {name: f"/{name}" for name in CAMPAIGN_CALL}
# A send_email and a send_sms call of account 12, likewise.
EMAIL_CALL = {
    "body": "<p>Order 1001</p>",
    "to_email": "ana@example.com",
    "from_email": "o@shop.example",
    "subject": "1001",
}
SMS_CALL = {"body": "Shipped", "recipient": "+34600000000", "sender": "ShopEx"}
# Each operation's webhook mapping and a body it accepts, on account 12 and its list 2222 (with the custom
# field "name"); the unsubscribe is of b@example.com, whom the caller subscribes first.
OPERATION_CALLS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "add_subscriber": ({"email": "/email", "name": "/name"}, {"email": "a@example.com", "name": "Ana"}),
    "delete_subscriber": ({"email": "/email", "list_id": "/list"}, {"email": "a@example.com", "list": 2222}),
    "unsubscribe": ({"email": "/email", "list_id": "/list"}, {"email": "b@example.com", "list": 2222}),
    "send_sms": ({name: f"/{name}" for name in SMS_CALL}, SMS_CALL),
    "send_email": ({name: f"/{name}" for name in EMAIL_CALL}, EMAIL_CALL),
    "send_campaign": (CAMPAIGN_MAPPING, CAMPAIGN_CALL),
}
# The operations that number what they send, from a block of ids their container takes (store.counters).
NUMBERED_OPERATIONS = ("send_sms", "send_email", "send_campaign")


class FakeLambdaContext(LambdaContext):
    """The local stack's Lambda context, for a function named test, whose remaining time stays at 10 s
    however long a test's invocation takes under load."""

    def __init__(self) -> None:
        super().__init__(
            function_name="test",
            memory_limit_in_mb=512,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:test",
            aws_request_id="c6af9ac6-7b61-11e6-9a41-93e812345678",
            timeout_seconds=10,
        )

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def hook_event(
    token: str,
    body: bytes | str = b"",
    content_type: str | None = "application/json",
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for /hooks/{token}; the body base64, as binary media types send it."""
    event = copy.deepcopy(load_event("inbound_add_subscriber_form.json"))
    raw = body.encode() if isinstance(body, str) else body
    sent = {key: value for key, value in event["headers"].items() if key.lower() != "content-type"}
    if content_type is not None:
        sent["Content-Type"] = content_type
    sent.update(headers or {})
    event.update(
        httpMethod=method,
        path=f"/hooks/{token}",
        pathParameters={"token": token},
        headers=sent,
        multiValueHeaders={key: [value] for key, value in sent.items()},
        body=base64.b64encode(raw).decode(),
        isBase64Encoded=True,
    )
    event["requestContext"].update(httpMethod=method, path=f"/dev/hooks/{token}")
    return event


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
    """Invoke the inbound function's handler; its status, JSON body and headers."""
    from functions.inbound.app import handler

    response = handler(event, FakeLambdaContext())
    body = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], body, response.get("multiValueHeaders") or response.get("headers") or {}


def campaign_activity(
    kind: ActivityKind,
    n: int = 0,
    account_id: int = 12,
    url: str = "https://shop.example/offer",
    **fields: Any,
) -> ActivityRecord:
    """An activity of person<n>@example.com in campaign 345; a click carries the URL."""
    return ActivityRecord(
        account_id=account_id,
        action_id=345,
        type_id=SendingType.CAMPAIGN,
        activity_id=kind,
        email=f"person{n}@example.com",
        url=url if kind == ActivityKind.CLICK else None,
        **fields,
    )


# The SMS sender ids every seeded account has registered.
SENDER_IDS = ["ShopEx", "Shop"]


def sending_domain(account_id: int = 12) -> str:
    """The verified sending domain every seeded account has: account 12's is shop.example, the domain the
    sample payloads of events/ send from."""
    return "shop.example" if account_id == 12 else f"shop{account_id}.example"


def seed_account(account_id: int = 12, plan: Plan = "paid", limits: AccountLimits | None = None) -> Account:
    """An account with its verified sending domain and the sender ids SENDER_IDS."""
    account = Account(
        id=account_id,
        name=f"Account {account_id}",
        plan=plan,
        limits=limits or AccountLimits(sms_sender_ids=SENDER_IDS),
    )
    account_records().put_account(account)
    add_sending_domain(account_id, sending_domain(account_id))
    verify_domain(sending_domain(account_id))
    sending_domains(account_id)  # as its owner looks: the domain is known verified
    return account


def seed_list(
    account_id: int = 12, list_id: int = 2222, fields: list[CustomField] | None = None
) -> MailingList:
    mailing_list = MailingList(id=list_id, account_id=account_id, name=f"List {list_id}", fields=fields or [])
    list_records().put_list(mailing_list)
    return mailing_list


def seed_template(account_id: int = 12, template_id: int = 31) -> EmailTemplate:
    template = EmailTemplate(
        id=template_id, account_id=account_id, name="Offer", html="<p>Hello {{email}}</p>"
    )
    campaign_records().put_template(template)
    return template


def seed_operation_calls() -> None:
    """What OPERATION_CALLS' bodies name: account 12, its list 2222 with the custom field "name", and its
    template 31."""
    seed_account(12)
    seed_list(12, 2222, fields=[CustomField(name="name")])
    seed_template(12, 31)


def seed_webhook(
    operation: str, mapping: dict[str, str], account_id: int = 12, **options: Any
) -> InboundWebhook:
    # Carrying its account and list, as the admin API saves a webhook.
    list_id = options.get("list_id")
    webhook = new_inbound_webhook(
        account_id=account_id,
        name=f"{operation} hook",
        operation=operation,
        mapping=mapping,
        account=account_records().get_account(account_id),
        webhook_list=list_records().get_list(account_id, list_id) if list_id else None,
        **options,
    )
    inbound_webhook_records().put_inbound_webhook(webhook)
    return webhook


def sent_emails() -> list[Any]:
    from moto.backends import get_backend  # here: the rest of this module is of use without moto

    return list(get_backend("ses")[ACCOUNT_ID][REGION].sent_messages)


def sent_sms() -> dict[str, Any]:
    from moto.backends import get_backend

    return dict(get_backend("sns")[ACCOUNT_ID][REGION].sms_messages)


STATS = ("success_count", "error_count", "last_call_at", "paced_until")


def records() -> list[dict[str, Any]]:
    """Every record of the data table but the webhooks' own bookkeeping (stats, pace, call log), the id
    counters and the hourly counts of sends (a refused send is given back): what an operation may write."""
    items = aws().data_table.scan(ConsistentRead=True)["Items"]
    kept = [
        {key: value for key, value in item.items() if key not in STATS}
        for item in items
        if item["pk"] != "COUNTER"
        and not str(item["pk"]).startswith("CALLS#")
        and not str(item["sk"]).startswith("SENT#")
    ]
    return sorted(kept, key=lambda item: (item["pk"], item["sk"]))


def campaign_messages(stack: Stack) -> list[Any]:
    """Up to 10 messages of the campaign queue (received, so left in flight)."""
    queue_url = stack.physical["CampaignQueue"]["QueueUrl"]
    return boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
