"""The platform's records as mailhooks reads and writes them."""

from datetime import datetime
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from mailhooks import clock

Plan = Literal["paid", "free"]
CustomFieldType = Literal["text", "number", "date", "boolean"]
SubscriberStatus = Literal["active", "pending", "unsubscribed"]
# An A/B campaign is first "testing" (its variants to the test share), then "waiting" for the winner,
# then "sending" the winner to the rest.
CampaignStatus = Literal["queued", "testing", "waiting", "sending", "sent"]
WinnerBy = Literal["opens", "clicks"]
JsonValue = Any
DEFAULT_REPLAY_WINDOW_SECONDS = 600


class AccountLimits(BaseModel):
    """What the platform operator allows one account; a limit left out is the platform's default (the
    template's parameters)."""

    emails_per_hour: int | None = Field(None, ge=0)
    sms_per_hour: int | None = Field(None, ge=0)
    # ISO 3166 region codes SMS may go to, such as ES.
    sms_countries: list[str] | None = None
    # Alphanumeric sender ids the operator registered for the account; no other may be used.
    sms_sender_ids: list[str] = []
    # The most an owner may set on each of the account's inbound webhooks.
    webhook_calls_per_second: int | None = Field(None, ge=1)
    webhook_burst: int | None = Field(None, ge=1)


class Account(BaseModel):
    id: int
    name: str
    plan: Plan
    limits: AccountLimits = AccountLimits()
    created_at: datetime = Field(default_factory=clock.now)


class SendingDomain(BaseModel):
    """A domain an account sends email from, an identity of its own in SES."""

    domain: str
    account_id: int
    # As SES last reported it; a domain is used only once SES says it is verified.
    verified: bool = False
    # The DKIM tokens SES issued: each is published as a CNAME record.
    dkim_tokens: list[str] = []
    created_at: datetime = Field(default_factory=clock.now)


class ApiKey(BaseModel):
    """A key an account's software uses on the admin API; the key itself is stored only as a hash."""

    id: str
    account_id: int
    name: str
    # The key's first characters, so that its owner can tell which key this is.
    prefix: str
    created_at: datetime = Field(default_factory=clock.now)


class CustomField(BaseModel):
    """A subscriber field a list defines for itself, mapped like a parameter of add-subscriber."""

    name: str
    type: CustomFieldType = "text"
    required: bool = False


class MailingList(BaseModel):
    id: int
    account_id: int
    name: str
    fields: list[CustomField] = []
    created_at: datetime = Field(default_factory=clock.now)


class Subscriber(BaseModel):
    id: int
    list_id: int
    email: str
    status: SubscriberStatus
    fields: dict[str, JsonValue] = {}
    # Set while double opt-in waits for the confirmation link to be followed.
    confirm_token: str | None = None
    welcome_on_confirm: bool = False
    # The secret of the List-Unsubscribe link of the campaign emails it gets; set with the first one.
    unsubscribe_token: str | None = None
    created_at: datetime = Field(default_factory=clock.now)
    updated_at: datetime = Field(default_factory=clock.now)


class EmailTemplate(BaseModel):
    id: int
    account_id: int
    name: str
    html: str
    created_at: datetime = Field(default_factory=clock.now)


class RecipientCursor(BaseModel):
    """A position in a campaign's recipients: after the address `after` of list `list_id` (from the list's
    start when None)."""

    list_id: int
    after: str | None = None


class Variant(BaseModel):
    """One version of an A/B campaign, and what its recipients did with it."""

    subject: str
    template_id: int
    sends: int = 0
    # Recipients who opened or clicked it, each counted once.
    opens: int = 0
    clicks: int = 0


class AbTest(BaseModel):
    """How an A/B campaign tests its variants: a share of its recipients split evenly among them, and after
    the wait, the variant with the most opens (or clicks) sent to the rest."""

    variants: list[Variant] = Field(min_length=2, max_length=4)
    # Percent of the recipients, each drawn by a hash of the campaign and its address.
    test_share: int
    wait_seconds: int
    winner_by: WinnerBy
    # Index of the winning variant, once chosen.
    winner: int | None = None
    winner_due_at: datetime | None = None


class Campaign(BaseModel):
    id: int
    account_id: int
    name: str
    from_name: str
    from_email: str
    subject: str
    list_ids: list[int]
    template_id: int
    # Where the API was reached when the campaign was queued: its emails' unsubscribe links point there.
    base_url: str
    status: CampaignStatus = "queued"
    sent_count: int = 0
    # Where the campaign sender resumes; None before it starts and once it is done.
    cursor: RecipientCursor | None = None
    ab_test: AbTest | None = None
    created_at: datetime = Field(default_factory=clock.now)


class WebhookStats(BaseModel):
    success_count: int = 0
    error_count: int = 0
    last_call_at: datetime | None = None


class InboundCallRecord(BaseModel):
    """One answered call of an inbound webhook, as its owner sees it in the call log."""

    at: datetime
    status: int
    # The answer of an identical call within the webhook's window, given again: nothing ran.
    replayed: bool = False
    error: str | None = None
    # The received body as text, cut to its first 4 KiB.
    body: str
    truncated: bool = False


class InboundWebhook(BaseModel):
    id: str
    account_id: int
    token: str
    name: str
    operation: str
    sample_payload: JsonValue = None
    # Operation parameter (or custom field of the list) -> JSON Pointer into the received payload.
    mapping: dict[str, str]
    list_id: int | None = None
    active: bool = True
    # The next call is stored as the sample payload instead of running the operation.
    listening: bool = False
    # The owner's own pace for the webhook, at most the account's; None: the account's.
    calls_per_second: int | None = None
    burst: int | None = None
    # A call that repeats one carried out within this many seconds (same parameters, or the same delivery id
    # in a header) gets that call's answer and runs nothing; 0: every call runs.
    replay_window_seconds: int = DEFAULT_REPLAY_WINDOW_SECONDS
    # Milliseconds since the epoch, the state of the webhook's pace (inbound.pace); never an owner's.
    paced_until: int = 0
    stats: WebhookStats = WebhookStats()
    created_at: datetime = Field(default_factory=clock.now)
    updated_at: datetime = Field(default_factory=clock.now)
    # What a call needs of the webhook's account and list, carried on its item so that a call reads one
    # item: copied as the webhook is saved, and the account again as the operator changes it (a list never
    # changes). None on an item saved before they were carried: the call reads them.
    account: Account | None = None
    webhook_list: MailingList | None = None


class ActivityKind(IntEnum):
    """activity_id of the published format; also the checkboxes an export endpoint ticks."""

    SEND = 1
    OPEN = 2
    CLICK = 3
    SUBSCRIBE = 4
    UNSUBSCRIBE = 5
    COMPLAINT = 6


class SendingType(IntEnum):
    """type_id of the published format: the kind of sending an activity belongs to."""

    CAMPAIGN = 1
    AB_TEST = 2
    TRIGGER = 3
    TRANSACTIONAL_EMAIL = 4
    SMS = 5
    CHALLENGE = 6


class Automation(IntEnum):
    """action_id of a trigger send (type_id 3): the automation that sent it."""

    DOUBLE_OPTIN_CONFIRMATION = 1
    WELCOME_EMAIL = 2


class ExportEndpoint(BaseModel):
    """A URL of the account's that receives, signed, every activity of the kinds it ticks."""

    id: str
    account_id: int
    url: str
    activities: list[ActivityKind]
    active: bool = True
    # Standard Webhooks signing secret: "whsec_" + base64 of random bytes.
    secret: str
    # The secret the last rotation replaced, which signs deliveries beside the new one until it expires: what
    # was queued before the rotation still verifies, and the receiver has time to take the new one.
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    # Who is told when the endpoint keeps failing and when it is disabled: whoever runs its receiver, who
    # need not be the account's owner.
    owner_email: str | None = None
    # Whether the owner email's reader followed the link mailed to it: until then, it is mailed nothing else.
    owner_email_confirmed: bool = False
    # The most requests the receiver takes at once, and per second; None for no limit.
    max_concurrency: int | None = None
    max_per_second: int | None = None
    created_at: datetime = Field(default_factory=clock.now)
    updated_at: datetime = Field(default_factory=clock.now)

    def signing_secrets(self, at: datetime) -> list[str]:
        """The secrets that sign a delivery made at `at`: the current one, and the one it replaced until that
        one expires."""
        expires_at = self.previous_secret_expires_at
        if self.previous_secret is None or expires_at is None or expires_at <= at:
            return [self.secret]
        return [self.secret, self.previous_secret]
