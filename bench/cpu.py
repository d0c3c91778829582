"""Our own CPU: per inbound call of each operation, and per delivered event (fan-out, then delivery), with
every AWS call answered by a stand-in that costs nothing (bench.replay), so that the figure is our code's and
botocore's, not moto's. Each inbound call has an Idempotency-Key of its own, as new calls do. process_time
counts this process's CPU, all its threads; the receiver of the deliveries answers from a process of its own.
"""

import contextlib
import io
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.harness import moto_stack
from bench.replay import recorded, replaying
from mailhooks.models import ActivityKind
from mailhooks.store.activity import activity_log
from tests.support.helpers import (
    OPERATION_CALLS,
    FakeLambdaContext,
    campaign_activity,
    hook_event,
    seed_account,
    seed_operation_calls,
    seed_webhook,
)
from tests.support.pipeline import add_endpoint
from tests.support.receivers import Chaos, chaos_receivers
from tests.support.streams import StreamTail, receive_all, sqs_event

CALLS = 20  # inbound calls of each operation in a measured chunk, of five (after ten more)
EVENTS = 100  # activities fanned out and delivered together, in the trigger's batches of 10
ROUNDS = 5  # times those events are fanned out and delivered, each measured (after one more)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _cpu_ms(run: Callable[[], None], warm_up: int, chunks: int, runs: int) -> float:
    """The median, over chunks of runs, of the CPU a run took: a machine shared with other work slows some
    chunks down."""
    for _ in range(warm_up):
        run()
    taken = []
    for _ in range(chunks):
        started = time.process_time()
        for _ in range(runs):
            run()
        taken.append((time.process_time() - started) * 1000 / runs)
    return statistics.median(taken)


def _body(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The n-th call's body: the first two (a warm-up, the recorded one) of an address of their own, as
    each call that moto answers needs (a new subscriber, or one still there to delete); the replayed ones
    the recorded one's."""
    return {**body, "email": f"{min(n, 1)}.{body['email']}"} if "email" in body else body


def _operation(handler: Handler, token: str, body: dict[str, Any]) -> dict[str, object]:
    events = iter(
        hook_event(token, json.dumps(_body(body, n)), headers={"Idempotency-Key": f"call {n}"})
        for n in range(2 + 10 + 5 * CALLS)
    )
    statuses: list[int] = []

    def run() -> None:
        statuses.append(int(handler(next(events), FakeLambdaContext())["statusCode"]))

    run()  # the container's first blocks of ids taken, as most calls find them
    with recorded() as recording:
        with recording.recording():
            run()
        with replaying(recording):
            cpu_ms = _cpu_ms(run, 10, 5, CALLS)
        recording.replayed_alone()
    assert set(statuses) == {statuses[0]}, statuses
    assert statuses[0] < 300, statuses
    return {"cpu_ms": round(cpu_ms, 2), "aws_calls": recording.recorded}


def _inbound() -> dict[str, object]:
    from functions.inbound.app import handler

    figures: dict[str, object] = {}
    with moto_stack():
        seed_operation_calls()
        subscribing = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
        for name, (mapping, body) in OPERATION_CALLS.items():
            if "email" in body and name != "add_subscriber":  # whom it deletes or unsubscribes
                for n in (0, 1):
                    event = hook_event(subscribing.token, json.dumps({"email": _body(body, n)["email"]}))
                    handler(event, FakeLambdaContext())
            webhook = seed_webhook(name, mapping, list_id=2222 if name == "add_subscriber" else None)
            figures[name] = _operation(handler, webhook.token, body)
    return figures


def _delivery() -> dict[str, object]:
    from functions.delivery.app import handler as deliver
    from functions.fanout.app import handler as fan_out

    with moto_stack(ALLOW_LOCAL_ENDPOINTS="true") as stack, chaos_receivers(Chaos("ok", seed=0)) as receiver:
        seed_account(12)
        add_endpoint("ep", receiver.url("ok"))
        tail = StreamTail(stack, "ActivityTable")
        queue = stack.physical["DeliveryQueue"]
        activity_log().put([campaign_activity(ActivityKind.OPEN, n) for n in range(EVENTS)])
        stream_event = tail.next_event()
        with recorded() as recording:
            with recording.recording():
                fan_out(stream_event, FakeLambdaContext())
            # With their attributes, as Lambda's event source hands them over: a fan-out message's marks its
            # first receipt, which takes no lease.
            messages = receive_all(queue["QueueUrl"], MessageAttributeNames=["All"])
            assert len(messages) == EVENTS, len(messages)
            # As the trigger hands them over: batches of the template's 10.
            batches = [sqs_event(queue["Arn"], messages[n : n + 10]) for n in range(0, EVENTS, 10)]
            failures: list[object] = []

            def deliver_all() -> None:
                for batch in batches:
                    failures.extend(deliver(batch, FakeLambdaContext()).get("batchItemFailures", []))

            with recording.recording():
                deliver_all()

            def run() -> None:
                fan_out(stream_event, FakeLambdaContext())
                deliver_all()

            with replaying(recording):
                cpu_ms = _cpu_ms(run, 1, ROUNDS, 1)
            recording.replayed_alone()
        assert not failures, failures
    return {"events": EVENTS, "cpu_ms": round(cpu_ms / EVENTS, 3), "aws_calls": recording.recorded / EVENTS}


def measure() -> dict[str, object]:
    return {"inbound": _inbound(), "delivered_event": _delivery()}


if __name__ == "__main__":
    # The functions print their metrics (EMF) on stdout: keep them out of the figures.
    with contextlib.redirect_stdout(io.StringIO()):
        figures = measure()
    print(json.dumps(figures, indent=2))
