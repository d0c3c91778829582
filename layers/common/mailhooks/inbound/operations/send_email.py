"""Send a transactional email through Amazon SES v2."""

from pydantic import Field

from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Email, Line, Parameters
from mailhooks.models import SendingType
from mailhooks.sending.mail import send_mail
from mailhooks.sending.sending_domains import identity_arn, verified_domain
from mailhooks.sending.sending_limits import hourly_quota
from mailhooks.store.counters import next_id


class SendEmailParameters(Parameters):
    body: str = Field(min_length=1, description="HTML body of the email.")
    category: int | None = Field(None, description="Category the account files this email under.")
    to_email: Email = Field(description="Recipient's address.")
    from_email: Email = Field(description="Sender's address, of a domain verified for the account.")
    bcc_email: Email | None = Field(None, description="Address that receives a blind copy.")
    subject: Line = Field(min_length=1, max_length=998, description="Subject line.")


def run(params: SendEmailParameters, context: OperationContext) -> Answer:
    action_id = next_id("action")
    tags = {
        "account": str(context.account.id),
        "action": str(action_id),
        "type": str(int(SendingType.TRANSACTIONAL_EMAIL)),
    }
    if params.category is not None:
        tags["category"] = str(params.category)
    domain = verified_domain(context.account.id, params.from_email)
    quota, given_back = hourly_quota(context.account, "email", context.now)
    with context.sending([domain, quota], [given_back]):
        key = send_mail(
            context.aws,
            context.settings,
            sender=params.from_email,
            identity=identity_arn(params.from_email),
            to=params.to_email,
            bcc=params.bcc_email,
            subject=params.subject,
            html=params.body,
            tags=tags,
        )
    context.record_send(SendingType.TRANSACTIONAL_EMAIL, action_id, params.to_email)
    return Answer(200, {"key": key})


OPERATION = Operation(
    name="send_email",
    summary="Send a transactional email. Answers the key of the sent message.",
    parameters=SendEmailParameters,
    run=run,
)
