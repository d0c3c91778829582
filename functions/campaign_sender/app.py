"""CampaignQueue: send a queued campaign, or the rest of one, to the active subscribers of its lists."""

from mailhooks.init_phase import init_phase

with init_phase():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.logs import MaskedFormatter
    from mailhooks.sending.campaign_sender import CampaignRequest, send_campaign

    logger = Logger(logger_formatter=MaskedFormatter())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The batch's failures reported by hand, as the deliver function does: Powertools' BatchProcessor imports
    # its parser's pydantic models of every event source, a sixth of this function's cold start.
    failed = []
    for record in event["Records"]:
        try:
            request = CampaignRequest.of(record["body"])
            send_campaign(request, context.get_remaining_time_in_millis)
        except Exception:
            logger.exception("campaign message failed; SQS retries it from the campaign's cursor")
            failed.append({"itemIdentifier": record["messageId"]})
    # Lambda deletes the batch's other messages from the queue.
    return {"batchItemFailures": failed}
