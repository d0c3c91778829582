"""Send an SMS through Amazon SNS."""

import re
from dataclasses import dataclass

from mailhooks.aws import upstream
from mailhooks.inbound.kinds import PHONE, text
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Parameters, parameter
from mailhooks.models import SendingType
from mailhooks.sending.sending_limits import check_sms, hourly_quota
from mailhooks.store.counters import next_id

_SENDER_ID = re.compile(r"[A-Za-z0-9]{1,11}")


def _sender_id(value: str) -> str:
    # The rule of SMS alphanumeric sender ids, which SNS passes on to the carriers.
    if not _SENDER_ID.fullmatch(value) or value.isdigit():
        raise ValueError("must be 1 to 11 letters or digits, with at least one letter")
    return value


@dataclass(frozen=True, kw_only=True)
class SendSmsParameters:
    body: str = parameter(text(1, 1600), "Text of the message.")
    recipient: str = parameter(
        PHONE, "Phone number with its international prefix: +34600000000, 0034600000000 or 34600000000."
    )
    sender: str = parameter(
        text(check=_sender_id), "Sender id shown to the recipient: 1 to 11 letters or digits."
    )


def run(params: SendSmsParameters, context: OperationContext) -> Answer:
    check_sms(context.account, params.recipient, params.sender)
    action_id = next_id("action")
    quota, given_back = hourly_quota(context.account, "sms", context.now)
    with context.sending([quota], [given_back]), upstream("Amazon SNS"):
        context.aws.sns.publish(
            PhoneNumber=params.recipient,
            Message=params.body,
            MessageAttributes={
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": params.sender},
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
    context.record_send(SendingType.SMS, action_id, params.recipient)
    return Answer(201, {"id": action_id})


OPERATION = Operation(
    name="send_sms",
    summary="Send an SMS. Answers the id of the sending.",
    parameters=Parameters.of(SendSmsParameters),
    run=run,
)
