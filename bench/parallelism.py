"""Delivery parallelism: one SQS batch of 10 messages to a receiver that answers after 100 ms, through the
deliver function's handler. Ten in a row would take a second; the target is under 150 ms.

The handler runs here, the receiver in a process of its own. AWS answers in two ways, each measured:
- aws_in_parallel, the figure of the goal: each call answered AWS_LATENCY after it is made, by bench.replay's
  stand-in, which costs this process nothing and answers calls made at once at once, as DynamoDB does. What
  the batch takes beyond the receiver's 100 ms is then our CPU, on the deliverer's one interpreter lock, and
  AWS's round trips where the batch waits on them.
- local_stack: by the local stack (bench.harness.local_stack), in a process of its own: moto answers in 1 to
  4 ms, one call at a time, on the CPU this machine shares with the deliverer and the receiver. The messages
  go to a queue of the bench's own, which the local stack's own deliverer does not poll.
"""

import contextlib
import io
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.harness import local_stack, moto_stack
from bench.replay import recorded, replaying
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.outbound.fanout import fan_out
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.helpers import FakeLambdaContext, campaign_activity
from tests.support.receivers import Chaos, chaos_receivers
from tests.support.streams import sqs_event

RECEIVER_DELAY = 0.1
BATCH = 10
ROUNDS = 15
TARGET_MS = 150
# DynamoDB's "single-digit millisecond" answers, taken at their slowest, for every call of the batch.
AWS_LATENCY = 0.010
# An account of the bench's own: the local stack seeds its demo account, which has endpoints of its own.
ACCOUNT = 4242
RECEIVER = "slow"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _queued_batch(queue_url: str, queue_arn: str) -> dict[str, Any]:
    """A batch of fan-out messages, as the queue's trigger hands them over: their first receipt."""
    from mailhooks.aws import aws

    activities = [campaign_activity(ActivityKind.OPEN, n, ACCOUNT) for n in range(BATCH)]
    assert fan_out([(str(n), activity) for n, activity in enumerate(activities)]) is None
    messages = aws().sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],  # as Lambda's event source hands them over
    )["Messages"]
    assert len(messages) == BATCH
    for message in messages:
        aws().sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return sqs_event(queue_arn, messages)


def _wall(handler: Handler, event: dict[str, Any]) -> float:
    started = time.perf_counter()
    answer = handler(event, FakeLambdaContext())
    wall = time.perf_counter() - started
    assert answer == {"batchItemFailures": []}, answer
    return wall


def _figures(walls: list[float]) -> dict[str, float]:
    return {
        "batch_wall_ms_median": round(statistics.median(walls) * 1000, 1),
        "batch_wall_ms_best": round(min(walls) * 1000, 1),
        "batch_wall_ms_worst": round(max(walls) * 1000, 1),
    }


def _endpoint(url: str) -> None:
    export_endpoint_records().put_export_endpoint(
        ExportEndpoint(
            id="ep", account_id=ACCOUNT, url=url, activities=list(ActivityKind), secret=new_secret()
        )
    )


def _aws_in_parallel(handler: Handler) -> dict[str, object]:
    """The same batch again and again, its AWS calls answered as moto answered them the first time."""
    with (
        moto_stack(ALLOW_LOCAL_ENDPOINTS="true") as stack,
        recorded() as recording,
        chaos_receivers(Chaos(RECEIVER, seed=0, delay=RECEIVER_DELAY)) as receiver,
    ):
        _endpoint(receiver.url(RECEIVER))
        queue = stack.physical["DeliveryQueue"]
        event = _queued_batch(queue["QueueUrl"], queue["Arn"])
        with recording.recording():
            _wall(handler, event)
        with replaying(recording, AWS_LATENCY):
            walls = [_wall(handler, event) for _ in range(ROUNDS + 1)][1:]
        recording.replayed_alone()
        assert receiver.report()[RECEIVER].ok_answers.total() == BATCH * (ROUNDS + 2)
    figures = _figures(walls)
    # The goal's figure: the local stack's is measured beside it, with no goal of its own.
    met = figures["batch_wall_ms_median"] <= TARGET_MS
    return {"aws_latency_ms": AWS_LATENCY * 1000, **figures, "met": met}


def _local_stack(handler: Handler) -> dict[str, float]:
    from mailhooks.aws import aws
    from mailhooks.settings import settings

    walls = []
    with local_stack(), chaos_receivers(Chaos(RECEIVER, seed=0, delay=RECEIVER_DELAY)) as receiver:
        queue = aws().sqs.create_queue(QueueName="bench-parallelism")["QueueUrl"]
        queue_arn = aws().sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        os.environ.update(ALLOW_LOCAL_ENDPOINTS="true", DELIVERY_QUEUE_URL=queue)
        settings.cache_clear()
        _endpoint(receiver.url(RECEIVER))
        for round_number in range(ROUNDS + 1):  # the first warms the pooled connections and the clients
            wall = _wall(handler, _queued_batch(queue, queue_arn["Attributes"]["QueueArn"]))
            if round_number:
                walls.append(wall)
        assert receiver.report()[RECEIVER].ok_answers.total() == BATCH * (ROUNDS + 1)
    return _figures(walls)


def measure() -> dict[str, object]:
    from functions.delivery.app import handler

    # The function prints its metrics (EMF) on stdout: keep them out of the figures.
    with contextlib.redirect_stdout(io.StringIO()):
        in_parallel, served_one_at_a_time = _aws_in_parallel(handler), _local_stack(handler)
    return {
        "batch": BATCH,
        "receiver_delay_ms": RECEIVER_DELAY * 1000,
        "rounds": ROUNDS,
        "sequential_would_take_ms": BATCH * RECEIVER_DELAY * 1000,
        "target_ms": TARGET_MS,
        "aws_in_parallel": in_parallel,
        "local_stack": served_one_at_a_time,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
