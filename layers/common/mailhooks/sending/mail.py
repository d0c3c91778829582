"""Sending one email through Amazon SES v2, the way every part of mailhooks does it."""

from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from mailhooks.aws import Aws, upstream
from mailhooks.settings import Settings

# Headers folded only past RFC 5322's hard limit: a folded List-Unsubscribe URL would be MIME-encoded, and
# mail clients would no longer see it.
_MIME = SMTP.clone(max_line_length=998)


def _message(sender: str, to: str, subject: str, html: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The sender and content arguments of SendEmail."""
    if not headers:
        return {
            "FromEmailAddress": sender,
            "Content": {
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Html": {"Data": html, "Charset": "UTF-8"}},
                }
            },
        }
    # Extra headers travel in a raw MIME message, delivered as written by SES and by emulators alike (moto,
    # and so the local stack, drop the Headers of Simple content). It names its sender in its own From
    # header, and SES authorizes it as ses:SendRawEmail.
    message = EmailMessage(policy=_MIME)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name] = value
    message.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return {"Content": {"Raw": {"Data": message.as_bytes()}}}


def send_mail(
    aws: Aws,
    settings: Settings,
    *,
    sender: str,
    to: str,
    subject: str,
    html: str,
    tags: dict[str, str],
    bcc: str | None = None,
    headers: Mapping[str, str] | None = None,
    identity: str | None = None,
) -> str:
    """Send one email and answer SES's message id. The tags let SES events be traced back to the sending;
    identity, the ARN of an account's own sending domain, is the identity SES sends as."""
    options: dict[str, Any] = {}
    if identity:
        options["FromEmailAddressIdentityArn"] = identity
    if settings.ses_configuration_set:
        options["ConfigurationSetName"] = settings.ses_configuration_set
    with upstream("Amazon SES"):
        answer = aws.sesv2.send_email(
            Destination={"ToAddresses": [to], "BccAddresses": [bcc] if bcc else []},
            EmailTags=[{"Name": name, "Value": value} for name, value in tags.items()],
            **_message(sender, to, subject, html, headers or {}),
            **options,
        )
    return answer["MessageId"]
