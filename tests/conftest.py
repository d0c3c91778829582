import fcntl
import os
from collections.abc import Iterator

import pytest

# Before anything imports boto3 or Powertools: fake credentials, one region, no X-Ray daemon. Nothing here
# imports moto: the folders that run on it get their `stack` fixture from tests/support/stack.py.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "mailhooks",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `alone` last: by then the long tests that run first (the faults) are over, and an
    `alone` test waits for no more than the other worker's current, short, test."""
    items.sort(key=lambda item: item.get_closest_marker("alone") is not None)


@pytest.fixture(autouse=True)
def _turn(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """On xdist workers, a test marked `alone` runs while no other worker runs a test: a timing it asserts
    would measure the other worker's load. Every other test holds a shared lock that it waits for; a gate,
    taken briefly before the shared lock and held by the waiting `alone` test, stops the other worker from
    starting test after test ahead of it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent
    alone = request.node.get_closest_marker("alone") is not None
    with open(shared / "turn.gate", "a") as gate, open(shared / "turn.lock", "a") as turn:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(turn, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)
