"""An export endpoint's owner email, confirmed before the platform mails it anything.

Whoever manages an endpoint may give any address as its owner email; the platform mails it health warnings
from its own domain. So an address set or changed gets one mail, with a link, and nothing else until the
link's page is confirmed: its GET shows a Confirm button, whose POST confirms, as mail scanners follow links
but press nothing. The link carries a 256-bit random token, stored only as its hash, that works once and for
seven days. The mail names nothing an account chose (not the endpoint's URL): it goes to an address nobody
vouched for yet.
"""

import secrets
from datetime import timedelta
from html import escape

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.links import Page
from mailhooks.sending.mail import send_mail
from mailhooks.settings import settings
from mailhooks.store.export_endpoints import OwnerEmailConfirmation, export_endpoint_records

LINK_LIFETIME = timedelta(days=7)
LINK_PATH = "/subscriptions/endpoint-warnings"
UNKNOWN_LINK = Page(404, "Link not valid", "This confirmation link is unknown, expired, or was used already.")


def ask_to_confirm(account_id: int, endpoint_id: str, email: str, base_url: str) -> None:
    """Mail the address the link that confirms it as the endpoint's owner email. Raises UpstreamFailure when
    SES does not take the mail."""
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + LINK_LIFETIME
    export_endpoint_records().put_owner_email_confirmation(
        token, OwnerEmailConfirmation(account_id, endpoint_id, email, expires_at)
    )
    link = f"{base_url}{LINK_PATH}/{token}"
    send_mail(
        aws(),
        settings(),
        sender=settings().sender_email,
        to=email,
        subject="Confirm your address for webhook endpoint warnings",
        tags={"account": str(account_id), "endpoint": endpoint_id},
        html=f"<p>This address was given to be warned when webhook endpoint <b>{escape(endpoint_id)}</b> "
        "keeps failing, and told when it is disabled. Nothing is mailed to it until you confirm: follow this "
        f'link, and press Confirm on the page it opens, within {LINK_LIFETIME.days} days: <a href="{link}">'
        f"{link}</a></p><p>If you did not expect this mail, ignore it: nothing more will be sent to you.</p>",
    )


def _pending(token: str) -> OwnerEmailConfirmation | None:
    """What a link stands for, while it works and its endpoint's owner email is still that address."""
    records = export_endpoint_records()
    confirmation = records.owner_email_confirmation(token, clock.now())
    if confirmation is None:
        return None
    endpoint = records.get_export_endpoint(confirmation.account_id, confirmation.endpoint_id)
    return confirmation if endpoint and endpoint.owner_email == confirmation.email else None


def confirmation_form(token: str) -> Page:
    """What following the link shows: the button that confirms."""
    confirmation = _pending(token)
    if confirmation is None:
        return UNKNOWN_LINK
    question = f"Warn {confirmation.email} when webhook endpoint {confirmation.endpoint_id} keeps failing?"
    return Page(200, "Confirm your address", question, "Confirm")


def confirm_owner_email(token: str) -> Page:
    """The confirmation page's button: the owner email is confirmed, and the link used up."""
    confirmation = _pending(token)
    if confirmation is None or not export_endpoint_records().confirm_owner_email(
        token, confirmation, clock.now()
    ):
        return UNKNOWN_LINK
    endpoint_id = confirmation.endpoint_id
    told = f"{confirmation.email} will be warned when webhook endpoint {endpoint_id} keeps failing."
    return Page(200, "Address confirmed", told)
