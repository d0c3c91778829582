"""Send a transactional email through Amazon SES v2."""

from dataclasses import dataclass

from mailhooks.inbound.kinds import EMAIL, integer, one_line, text
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Parameters, parameter
from mailhooks.models import SendingType
from mailhooks.sending.mail import send_mail
from mailhooks.sending.sending_domains import identity_arn, verified_domain
from mailhooks.sending.sending_limits import hourly_quota
from mailhooks.store.counters import next_id


@dataclass(frozen=True, kw_only=True)
class SendEmailParameters:
    body: str = parameter(text(min_length=1), "HTML body of the email.")
    category: int | None = parameter(integer(), "Category the account files this email under.", None)
    to_email: str = parameter(EMAIL, "Recipient's address.")
    from_email: str = parameter(EMAIL, "Sender's address, of a domain verified for the account.")
    bcc_email: str | None = parameter(EMAIL, "Address that receives a blind copy.", None)
    subject: str = parameter(text(1, 998, one_line), "Subject line.")


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
    parameters=Parameters.of(SendEmailParameters),
    run=run,
)
