"""SesEventsTopic: the opens, clicks and complaints SES publishes become activities."""

from mailhooks.init_phase import init_phase

with init_phase():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.logs import MaskedFormatter
    from mailhooks.sending.ses_events import record_notifications

    logger = Logger(logger_formatter=MaskedFormatter())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    notifications = (record["Sns"] for record in event["Records"])
    record_notifications((sns["MessageId"], sns["Message"]) for sns in notifications)
