"""SQS delivery queue: POST each activity to its export endpoint, signed; retry or dead-letter what fails."""

from mailhooks.init_phase import init_phase

with init_phase():
    from collections import Counter
    from typing import Any

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.logs import MaskedFormatter
    from mailhooks.outbound.delivery.batch import deliver_batch
    from mailhooks.outbound.delivery.outcomes import QueuedMessage, Result

    logger = Logger(logger_formatter=MaskedFormatter())
    metrics = Metrics()

METRICS = {
    Result.DELIVERED: "Deliveries",
    Result.DUPLICATE: "DuplicateDeliveries",
    Result.DROPPED: "DroppedDeliveries",
    Result.ABORTED: "AbortedDeliveries",
    Result.RETRYING: "DeliveryRetries",
    Result.PARKED: "ParkedDeliveries",
    Result.THROTTLED: "ThrottledDeliveries",
    Result.FAILED: "DeliveryDeadLetters",
    Result.ERROR: "DeliveryErrors",
}


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = deliver_batch([QueuedMessage.of(record) for record in event["Records"]])
    for result, count in Counter(outcome.result for outcome in outcomes).items():
        metrics.add_metric(name=METRICS[result], unit=MetricUnit.Count, value=count)
    # Lambda deletes the batch's other messages from the queue.
    return {"batchItemFailures": [{"itemIdentifier": o.queued.message_id} for o in outcomes if o.redelivered]}
