"""SesEventsTopic: the opens, clicks and complaints SES publishes become activities."""

from mailhooks.init_phase import init_phase

with init_phase():
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.logs import MaskedFormatter
    from mailhooks.sending.ses_events import record_notifications

    logger = Logger(logger_formatter=MaskedFormatter())


@logger.inject_lambda_context
@event_source(data_class=SNSEvent)
def handler(event: SNSEvent, context: LambdaContext) -> None:
    record_notifications((record.sns.message_id, record.sns.message) for record in event.records)
