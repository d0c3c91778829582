"""DynamoDB stream of the activity table: queue each new activity for the endpoints that want it."""

from mailhooks.init_phase import init_phase

with init_phase():
    from typing import Any

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.logs import MaskedFormatter
    from mailhooks.outbound.fanout import fan_out
    from mailhooks.store.activity import activity_from_stream_image

    logger = Logger(logger_formatter=MaskedFormatter())
    metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    activities = [
        (record["dynamodb"]["SequenceNumber"], activity_from_stream_image(record["dynamodb"]["NewImage"]))
        for record in event["Records"]
    ]
    retry_from = fan_out(activities)
    metrics.add_metric(name="ActivitiesFannedOut", unit=MetricUnit.Count, value=len(activities))
    # Lambda retries a stream batch from the position answered, and counts it as done before that.
    return {"batchItemFailures": [{"itemIdentifier": retry_from}] if retry_from else []}
