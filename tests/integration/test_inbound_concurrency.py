"""Concurrent calls to one webhook, as Lambda runs them: each in its own process, all at once, against one
AWS (moto's server, applying each request atomically as AWS does). Every call runs; no count is lost."""

import json
import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
import requests

from devstack.local_aws import LocalAws
from devstack.provision import provision
from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.settings import settings
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from mailhooks.store.lists import list_records
from tests.support.helpers import call, hook_event, seed_account, seed_list, seed_webhook

_start_together: Barrier


def _arm(barrier: Barrier) -> None:
    global _start_together
    _start_together = barrier


def _invoke_in_own_process(environment: dict[str, str], event: dict[str, Any]) -> int:
    """One Lambda container: its own environment and clients, one invocation."""
    os.environ.clear()
    os.environ.update(environment)
    settings.cache_clear()
    aws.cache_clear()
    _start_together.wait(timeout=60)
    status, _, _ = call(event)
    return status


@pytest.fixture
def containers(request: pytest.FixtureRequest) -> Iterator[multiprocessing.pool.Pool]:
    """One process per call (the test's `containers` mark says how many), forked before any server thread
    exists, each waiting until all are ready so that the calls really overlap."""
    count = request.node.get_closest_marker("containers").args[0]
    fork = multiprocessing.get_context("fork")
    with fork.Pool(count, initializer=_arm, initargs=(fork.Barrier(count),)) as pool:
        yield pool


@pytest.fixture
def moto_server(containers: multiprocessing.pool.Pool) -> Iterator[Stack]:
    saved = dict(os.environ)
    local_aws = LocalAws()
    local_aws.start()
    try:
        created = provision(Stack.from_file())
        os.environ.update(created.function_environment("InboundFunction"))
        settings.cache_clear()
        aws.cache_clear()
        yield created
    finally:
        requests.post(f"{local_aws.endpoint}/moto-api/reset", timeout=10)
        local_aws.stop()
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
        aws.cache_clear()


@pytest.mark.containers(50)
def test_fifty_concurrent_calls_leave_success_count_exactly_fifty(
    containers: multiprocessing.pool.Pool, moto_server: Stack
) -> None:
    seed_account()
    seed_list()
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    events = [hook_event(webhook.token, json.dumps({"email": f"person{n}@example.com"})) for n in range(50)]

    statuses = containers.starmap(_invoke_in_own_process, [(dict(os.environ), event) for event in events])

    assert statuses == [201] * 50
    stats = inbound_webhook_records().find_inbound_webhook(webhook.token).stats  # type: ignore[union-attr]
    assert (stats.success_count, stats.error_count) == (50, 0)
    subscribers = list_records().list_subscribers(2222)
    assert len({subscriber.id for subscriber in subscribers}) == len(subscribers) == 50


@pytest.mark.containers(10)
def test_concurrent_retries_of_one_subscription_store_it_once(
    containers: multiprocessing.pool.Pool, moto_server: Stack
) -> None:
    seed_account()
    seed_list()
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    # Different Idempotency-Keys: the retries reach the operation itself, as after the window expires.
    events = [
        hook_event(
            webhook.token, json.dumps({"email": "ana@example.com"}), headers={"Idempotency-Key": str(n)}
        )
        for n in range(10)
    ]

    statuses = containers.starmap(_invoke_in_own_process, [(dict(os.environ), event) for event in events])

    [subscriber] = list_records().list_subscribers(2222)
    assert statuses == [201] * 10
    assert [call(event)[1] for event in events[:3]] == [{"id": subscriber.id, "email": "ana@example.com"}] * 3
