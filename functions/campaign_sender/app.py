"""CampaignQueue: send a queued campaign, or the rest of one, to the active subscribers of its lists."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from mailhooks.logs import MaskedFormatter
from mailhooks.sending.campaign_sender import CampaignRequest, send_campaign

logger = Logger(logger_formatter=MaskedFormatter())
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def send(record: SQSRecord, lambda_context: LambdaContext) -> None:
    try:
        request = CampaignRequest.model_validate_json(record.body)
        send_campaign(request, lambda_context.get_remaining_time_in_millis)
    except Exception:
        logger.exception("campaign message failed; SQS retries it from the campaign's cursor")
        raise


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=send, processor=processor, context=context)
