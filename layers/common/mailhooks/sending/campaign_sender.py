"""Sending a campaign: one email to each active subscriber of its lists, each address once.

An A/B campaign is sent in two rounds (sending/ab_tests.py): its variants to the test share of the
recipients, then, after the wait, the winner to the rest. The wait is a message of the campaign queue
delayed by up to SQS's 15 minutes, queued again until the winner is due.

The campaign sender works through the lists a page of subscribers at a time and saves, after each page,
where it got to (the campaign's cursor) and how many it sent. When the invocation's time runs short it
queues the campaign again and the next invocation resumes from the cursor.

Every address is claimed (a conditional write) before its email is sent, so an address in two lists gets
one email, and so does an address whose page is sent again: after a redelivery of the queue message, a
failure halfway through a page, or a duplicate continuation.
"""

import json
import math
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from email.headerregistry import Address
from html import escape

from aws_lambda_powertools import Logger

from mailhooks import clock
from mailhooks.aws import Aws, aws, upstream
from mailhooks.errors import UpstreamFailure
from mailhooks.json_form import json_object, json_text
from mailhooks.models import ActivityKind, Campaign, EmailTemplate, RecipientCursor, SendingType, Subscriber
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.queue import MAX_DELAY_SECONDS
from mailhooks.sending.ab_tests import Version, Versions, winner_of
from mailhooks.sending.mail import send_mail
from mailhooks.sending.sending_domains import identity_arn
from mailhooks.settings import Settings, settings
from mailhooks.store.activity import activity_log
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.lists import SubscriberPage, list_records

logger = Logger(child=True)

# One batch write of activities (DynamoDB takes 25 at a time) and one save of the cursor per page.
PAGE_SIZE = 25
# Time kept for a page and the continuation: a page is started only with this much left.
RESERVE_MILLIS = 30_000
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


class CampaignError(Exception):
    """A queued campaign that cannot be sent as it is; its message goes to the dead-letter queue."""


@dataclass(frozen=True)
class CampaignRequest:
    """A message of the campaign queue: send (the rest of) this campaign."""

    account_id: int
    campaign_id: int

    @classmethod
    def of(cls, text: str) -> "CampaignRequest":
        """The request a queued body holds; a ValueError says why a body holds none."""
        data = json_object(text)
        account_id, campaign_id = data.get("account_id"), data.get("campaign_id")
        if type(account_id) is not int or type(campaign_id) is not int:
            raise ValueError("account_id and campaign_id should be integers")
        return cls(account_id, campaign_id)


def queue_campaign(aws: Aws, settings: Settings, campaign: Campaign, delay_seconds: int = 0) -> None:
    request = CampaignRequest(account_id=campaign.account_id, campaign_id=campaign.id)
    with upstream("Amazon SQS"):
        aws.sqs.send_message(
            QueueUrl=settings.campaign_queue_url,
            MessageBody=json_text(request),
            DelaySeconds=min(delay_seconds, MAX_DELAY_SECONDS),
        )


def queue_new_campaign(aws: Aws, settings: Settings, campaign: Campaign) -> None:
    """Store the campaign and queue it: both, or neither."""
    campaign_records().put_campaign(campaign)
    try:
        queue_campaign(aws, settings, campaign)
    except UpstreamFailure:
        campaign_records().delete_campaign(campaign.account_id, campaign.id)
        raise


def render(html: str, subscriber: Subscriber) -> str:
    """The template for one subscriber: {{email}} and {{<custom field>}} replaced by its values, escaped;
    a field it has no value for is left empty."""
    values = {**subscriber.fields, "email": subscriber.email}

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        return "" if found is None else escape(found if isinstance(found, str) else json.dumps(found))

    return _PLACEHOLDER.sub(value, html)


def _send_once(campaign: Campaign, version: Version, subscriber: Subscriber) -> ActivityRecord | None:
    """Send the campaign to the subscriber unless its address has had it; the send activity if sent."""
    if not campaign_records().claim_campaign_recipient(campaign.id, subscriber.email):
        return None
    sending = SendingType.CAMPAIGN if campaign.ab_test is None else SendingType.AB_TEST
    # An A/B variant is named by its number, 1 and on, as the admin API shows it.
    variant = {} if version.variant is None else {"variant": str(version.variant + 1)}
    try:
        token = subscriber.unsubscribe_token or list_records().give_unsubscribe_token(
            campaign.account_id, subscriber, secrets.token_urlsafe(32)
        )
        if token is None:  # deleted since its page was read
            return None
        send_mail(
            aws(),
            settings(),
            sender=str(Address(campaign.from_name, addr_spec=campaign.from_email)),
            # Checked to be the account's verified domain when the campaign was queued.
            identity=identity_arn(campaign.from_email),
            to=subscriber.email,
            subject=version.subject,
            html=render(version.template.html, subscriber),
            tags={
                "account": str(campaign.account_id),
                "action": str(campaign.id),
                "type": str(int(sending)),
                **variant,
            },
            headers={
                "List-Unsubscribe": f"<{campaign.base_url}/subscriptions/unsubscribe/{token}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    except Exception:
        # Not sent: a later delivery of the work may send it.
        campaign_records().release_campaign_recipient(campaign.id, subscriber.email)
        raise
    return ActivityRecord(
        account_id=campaign.account_id,
        action_id=campaign.id,
        type_id=sending,
        activity_id=ActivityKind.SEND,
        email=subscriber.email,
    )


def _after(campaign: Campaign, cursor: RecipientCursor, page: SubscriberPage) -> RecipientCursor | None:
    """Where the recipients go on after the page: further in its list, or at the start of the next one."""
    if page.last is not None:
        return RecipientCursor(list_id=cursor.list_id, after=page.last)
    following = campaign.list_ids[campaign.list_ids.index(cursor.list_id) + 1 :]
    return RecipientCursor(list_id=following[0]) if following else None


def _send_page(campaign: Campaign, versions: Versions, cursor: RecipientCursor) -> RecipientCursor | None:
    """Send one page of recipients; where the next page starts, or None after the last."""
    page = list_records().subscribers_after(cursor.list_id, cursor.after, PAGE_SIZE)
    sent: list[ActivityRecord] = []
    variant_sends: Counter[int] = Counter()
    reached: RecipientCursor | None = cursor
    try:
        for subscriber in page.subscribers:
            version = versions.of(subscriber.email) if subscriber.status == "active" else None
            if version and (activity := _send_once(campaign, version, subscriber)):
                sent.append(activity)
                versions.sent(version)
                if version.variant is not None:
                    variant_sends[version.variant] += 1
        reached = _after(campaign, cursor, page)
    finally:
        # What went out is recorded even when a send fails: its claims keep it from going out again.
        activity_log().put(sent)
        # An A/B test's last page leaves its status to wait_for_winner.
        status = campaign.status if reached is not None or campaign.status == "testing" else "sent"
        campaign_records().advance_campaign(campaign, status, reached, len(sent), dict(variant_sends))
    return reached


def _templates(campaign: Campaign) -> dict[int, EmailTemplate]:
    wanted = {campaign.template_id}
    if campaign.ab_test:
        wanted |= {variant.template_id for variant in campaign.ab_test.variants}
    templates = {}
    for template_id in wanted:
        template = campaign_records().get_template(campaign.account_id, template_id)
        if template is None:
            raise CampaignError(f"template {template_id} of campaign {campaign.id} was not found")
        templates[template_id] = template
    return templates


def _winner_when_due(campaign: Campaign) -> Campaign | None:
    """The A/B campaign with its winner chosen, once the wait is over; None while it is not, after queuing
    it again for when it is (or for SQS's longest delay)."""
    ab_test = campaign.ab_test
    # A campaign waits only once its test is sent, which sets when.
    assert ab_test is not None
    assert ab_test.winner_due_at is not None
    left = math.ceil((ab_test.winner_due_at - clock.now()).total_seconds())
    if left > 0:
        queue_campaign(aws(), settings(), campaign, left)
        return None
    winner = winner_of(ab_test)
    # False when a duplicate message chose it first: the same winner, read back below.
    campaign_records().start_winner(campaign, winner, RecipientCursor(list_id=campaign.list_ids[0]))
    logger.info("A/B winner chosen", extra={"campaign_id": campaign.id, "variant": winner + 1})
    return campaign_records().get_campaign(campaign.account_id, campaign.id)


def send_campaign(request: CampaignRequest, remaining_millis: Callable[[], int]) -> None:
    """Send the campaign from where it got to, until it is sent or the time left is short; then queue it
    again for the rest."""
    campaign = campaign_records().get_campaign(request.account_id, request.campaign_id)
    if campaign is not None and campaign.status == "waiting":
        campaign = _winner_when_due(campaign)
    if campaign is None or campaign.status in ("sent", "waiting"):
        logger.info("nothing to send now", extra={"campaign_id": request.campaign_id})
        return
    versions = Versions(campaign, _templates(campaign))
    cursor: RecipientCursor | None = campaign.cursor or RecipientCursor(list_id=campaign.list_ids[0])
    if campaign.status == "queued":
        campaign = replace(campaign, status="testing" if campaign.ab_test else "sending")
        campaign_records().advance_campaign(campaign, campaign.status, cursor, 0)
    while cursor is not None:
        cursor = _send_page(campaign, versions, cursor)
        if cursor is not None and remaining_millis() < RESERVE_MILLIS:
            queue_campaign(aws(), settings(), campaign)
            logger.info("campaign queued again to resume", extra={"campaign_id": campaign.id})
            return
    if campaign.ab_test and campaign.status == "testing":
        wait = campaign.ab_test.wait_seconds
        campaign_records().wait_for_winner(campaign, clock.now() + timedelta(seconds=wait))
        queue_campaign(aws(), settings(), campaign, wait)
        logger.info("A/B test sent; the winner waits", extra={"campaign_id": campaign.id, "wait": wait})
        return
    logger.info("campaign sent", extra={"campaign_id": campaign.id})
