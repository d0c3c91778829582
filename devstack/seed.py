"""A demo account to try the stack with: two lists, a template, an inbound webhook per operation, an admin
API key, and an export endpoint that sends every kind of activity to the local receiver.

Each webhook's sample payload is what a realistic sender posts, and its mapping points into that payload,
so its curl line runs the operation. The add-subscriber and send-campaign payloads are the bodies of the
sample API Gateway events in events/.
"""

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

from devstack.moto_fixes import verify_domain
from devstack.template import ROOT
from mailhooks.accounts import create_api_key
from mailhooks.errors import InvalidInput
from mailhooks.inbound.inbound_webhooks import new_inbound_webhook
from mailhooks.inbound.mapping import parse_body
from mailhooks.inbound.operations import NAMES, operation_named
from mailhooks.models import (
    Account,
    AccountLimits,
    ActivityKind,
    CustomField,
    EmailTemplate,
    ExportEndpoint,
    InboundWebhook,
    MailingList,
)
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.outbound.delivery.ssrf import check_endpoint_url
from mailhooks.sending.sending_domains import add_sending_domain
from mailhooks.store.accounts import account_records
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from mailhooks.store.lists import list_records

EVENTS = ROOT / "events"
ACCOUNT_ID = 1
LIST_ID = 2222
OTHER_LIST_ID = 2223
TEMPLATE_ID = 31
# The demo shop's own sending domain (the platform's is never an account's), verified as SES does once its
# DKIM records are published; the sample payloads of events/ send from it too.
SENDING_DOMAIN = "shop.example"
# The SMS sender id the operator registered for the demo shop.
SENDER_ID = "ShopEx"


@dataclass(frozen=True)
class Sample:
    content_type: str
    body: bytes
    # Operation parameter (or custom field) -> JSON Pointer into the payload the body stands for.
    mapping: dict[str, str]
    list_id: int | None = None


@dataclass(frozen=True)
class DemoWebhook:
    operation: str
    summary: str
    webhook: InboundWebhook
    sample: Sample


def _event_sample(name: str, mapping: dict[str, str], list_id: int | None = None) -> Sample:
    event = json.loads((EVENTS / name).read_text())
    content_type = {key.lower(): value for key, value in event["headers"].items()}["content-type"]
    body = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
    return Sample(content_type, body, mapping, list_id)


def _json_sample(payload: dict[str, Any], mapping: dict[str, str]) -> Sample:
    return Sample("application/json", json.dumps(payload).encode(), mapping)


def samples() -> dict[str, Sample]:
    """A sample per operation, in an order where each curl line works when run once, top to bottom."""
    campaign_fields = ("name", "from_name", "from_email", "subject", "lists", "template_id")
    return {
        # An Elementor form's submission, form-encoded: keys such as fields[email][value] are literal.
        "add_subscriber": _event_sample(
            "inbound_add_subscriber_form.json",
            {"email": "/fields[email][value]", "name": "/fields[name][value]"},
            list_id=LIST_ID,
        ),
        "unsubscribe": _json_sample(
            {"type": "unsubscribe", "data": {"email": "ana@example.com", "list_id": str(LIST_ID)}},
            {"email": "/data/email", "list_id": "/data/list_id"},
        ),
        "delete_subscriber": _json_sample(
            {"event": "contact.deleted", "contact": {"email": "ana@example.com", "list": LIST_ID}},
            {"email": "/contact/email", "list_id": "/contact/list"},
        ),
        "send_sms": _json_sample(
            {
                "order": {"id": 1001, "status": "shipped", "customer": {"phone": "+34 600 00 00 00"}},
                "message": "Your order 1001 has shipped",
                "shop": SENDER_ID,
            },
            {"body": "/message", "recipient": "/order/customer/phone", "sender": "/shop"},
        ),
        "send_email": _json_sample(
            {
                "order": {"id": 1001, "customer": {"email": "ana@example.com"}},
                "mail": {
                    "from": f"shop@{SENDING_DOMAIN}",
                    "subject": "Order 1001 confirmed",
                    "html": "<p>Thank you! Order 1001 is confirmed.</p>",
                    "category": 7,
                },
            },
            {
                "to_email": "/order/customer/email",
                "from_email": "/mail/from",
                "subject": "/mail/subject",
                "body": "/mail/html",
                "category": "/mail/category",
            },
        ),
        "send_campaign": _event_sample(
            "inbound_send_campaign_json.json", {name: f"/data/{name}" for name in campaign_fields}
        ),
    }


def endpoint_secrets() -> list[str]:
    """The signing secrets of the demo account's export endpoints, as they are now."""
    return [endpoint.secret for endpoint in export_endpoint_records().export_endpoints(ACCOUNT_ID)]


def webhook_name(operation: str) -> str:
    return f"Demo {operation.replace('_', ' ')}"


@dataclass(frozen=True)
class Demo:
    description: str
    webhooks: list[DemoWebhook]
    # Operations without a sample payload here, hence without a demo webhook.
    without_sample: list[str]
    # The admin API key, shown once.
    admin_key: str
    endpoint: ExportEndpoint


def _export_endpoint(url: str) -> ExportEndpoint:
    # Refused unless the stack allows endpoints on loopback: better said at startup than at each delivery.
    try:
        check_endpoint_url(url)
    except InvalidInput as refusal:
        raise RuntimeError(
            f"the local receiver's URL {url} is refused ({refusal.message}): the local stack needs the "
            "template's AllowLocalEndpoints parameter set to true"
        ) from None
    endpoint = ExportEndpoint(
        id=f"ep_{secrets.token_hex(8)}",
        account_id=ACCOUNT_ID,
        url=url,
        activities=list(ActivityKind),
        secret=new_secret(),
    )
    export_endpoint_records().put_export_endpoint(endpoint)
    return endpoint


def seed(receiver_url: str) -> Demo:
    """Store the demo account, its lists and template, a webhook per operation that has a sample, an admin
    API key, and an export endpoint of every activity at receiver_url."""
    account = Account(
        id=ACCOUNT_ID, name="Demo shop", plan="paid", limits=AccountLimits(sms_sender_ids=[SENDER_ID])
    )
    fields = [CustomField(name="name", type="text", required=False), CustomField(name="city", type="text")]
    lists = [
        MailingList(id=LIST_ID, account_id=ACCOUNT_ID, name="Newsletter", fields=fields),
        MailingList(id=OTHER_LIST_ID, account_id=ACCOUNT_ID, name="Customers"),
    ]
    template = EmailTemplate(
        id=TEMPLATE_ID, account_id=ACCOUNT_ID, name="Offer", html="<p>Hello {{email}}, see our offer.</p>"
    )
    account_records().put_account(account)
    add_sending_domain(ACCOUNT_ID, SENDING_DOMAIN)
    verify_domain(SENDING_DOMAIN)
    for mailing_list in lists:
        list_records().put_list(mailing_list)
    campaign_records().put_template(template)
    known = samples()
    webhooks: list[DemoWebhook] = []
    for name, sample in known.items():
        if name not in NAMES:
            continue
        operation = operation_named(name)
        webhook = new_inbound_webhook(
            account_id=ACCOUNT_ID,
            name=webhook_name(name),
            operation=name,
            mapping=sample.mapping,
            sample_payload=parse_body(sample.content_type, sample.body),
            list_id=sample.list_id,
            account=account,
            webhook_list=next((each for each in lists if each.id == sample.list_id), None),
        )
        inbound_webhook_records().put_inbound_webhook(webhook)
        webhooks.append(DemoWebhook(name, operation.summary, webhook, sample))
    shown_lists = " and ".join(
        f"{item.id} {item.name}"
        + (f" (fields {', '.join(f.name for f in item.fields)})" if item.fields else "")
        for item in lists
    )
    description = (
        f"account {account.id} {account.name} ({account.plan} plan): lists {shown_lists}, "
        f"template {template.id} {template.name}"
    )
    _, admin_key = create_api_key(ACCOUNT_ID, "Demo admin key")
    return Demo(
        description,
        webhooks,
        [name for name in NAMES if name not in known],
        admin_key,
        _export_endpoint(receiver_url),
    )
