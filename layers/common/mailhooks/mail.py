"""Sending one email through Amazon SES v2, the way every part of mailhooks does it."""

from typing import Any

from mailhooks.aws import Aws, upstream
from mailhooks.settings import Settings


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
) -> str:
    """Send one email and answer SES's message id. The tags let SES events be traced back to the sending."""
    options: dict[str, Any] = {}
    if settings.ses_configuration_set:
        options["ConfigurationSetName"] = settings.ses_configuration_set
    with upstream("Amazon SES"):
        answer = aws.sesv2.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [to], "BccAddresses": [bcc] if bcc else []},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Html": {"Data": html, "Charset": "UTF-8"}},
                }
            },
            EmailTags=[{"Name": name, "Value": value} for name, value in tags.items()],
            **options,
        )
    return answer["MessageId"]
