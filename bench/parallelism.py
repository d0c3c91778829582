"""Delivery parallelism: one SQS batch of 10 messages to a receiver that answers after 100 ms, through the
deliver function's handler. Ten in a row would take a second; the target is under 150 ms.

The handler runs here, and AWS is the local stack's, in a process of its own (bench.harness.local_stack):
its answers take their time, as AWS's do, but not this process's CPU, as moto's would here; and so does the
receiver. The messages go to a queue of the bench's own, which the local stack's own deliverer does not
poll."""

import json
import os
import time

from bench.harness import local_stack
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.outbound.fanout import fan_out
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.helpers import FakeLambdaContext, campaign_activity
from tests.support.receivers import Chaos, chaos_receivers
from tests.support.streams import sqs_event

RECEIVER_DELAY = 0.1
BATCH = 10
ROUNDS = 5
# An account of the bench's own: the local stack seeds its demo account, which has endpoints of its own.
ACCOUNT = 4242
RECEIVER = "slow"


def _queue_batch(account_id: int) -> None:
    activities = [campaign_activity(ActivityKind.OPEN, n, account_id) for n in range(BATCH)]
    assert fan_out([(str(n), activity) for n, activity in enumerate(activities)]) is None


def measure() -> dict[str, object]:
    from functions.delivery.app import handler
    from mailhooks.aws import aws
    from mailhooks.settings import settings

    walls = []
    with local_stack(), chaos_receivers(Chaos(RECEIVER, seed=0, delay=RECEIVER_DELAY)) as receiver:
        queue = aws().sqs.create_queue(QueueName="bench-parallelism")["QueueUrl"]
        queue_arn = aws().sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        os.environ.update(ALLOW_LOCAL_ENDPOINTS="true", DELIVERY_QUEUE_URL=queue)
        settings.cache_clear()
        export_endpoint_records().put_export_endpoint(
            ExportEndpoint(
                id="ep",
                account_id=ACCOUNT,
                url=receiver.url(RECEIVER),
                activities=list(ActivityKind),
                secret=new_secret(),
            )
        )
        for round_number in range(ROUNDS + 1):  # the first warms the pooled session and the clients
            _queue_batch(ACCOUNT)
            messages = aws().sqs.receive_message(
                QueueUrl=settings().delivery_queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],  # as Lambda's event source hands them over
            )["Messages"]
            assert len(messages) == BATCH
            event = sqs_event(queue_arn["Attributes"]["QueueArn"], messages)
            started = time.perf_counter()
            answer = handler(event, FakeLambdaContext())
            wall = time.perf_counter() - started
            assert answer == {"batchItemFailures": []}
            for message in messages:
                aws().sqs.delete_message(
                    QueueUrl=settings().delivery_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
            if round_number:
                walls.append(wall)
        assert receiver.report()[RECEIVER].ok_answers.total() == BATCH * (ROUNDS + 1)
    best, worst = min(walls), max(walls)
    return {
        "batch": BATCH,
        "receiver_delay_ms": RECEIVER_DELAY * 1000,
        "rounds": ROUNDS,
        "batch_wall_ms_median": round(sorted(walls)[len(walls) // 2] * 1000, 1),
        "batch_wall_ms_best": round(best * 1000, 1),
        "batch_wall_ms_worst": round(worst * 1000, 1),
        "sequential_would_take_ms": BATCH * RECEIVER_DELAY * 1000,
        "target_ms": 150,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
