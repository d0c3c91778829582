import fcntl
import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports boto3 or Powertools: fake credentials, one region. Nothing here imports moto: the
# folders that run on it get their `stack` fixture from tests/support/stack.py.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "mailhooks",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from tests.support import aws_calls


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
    alone = request.node.get_closest_marker("alone") is not None
    if alone:
        request.getfixturevalue("no_full_collections")
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent
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


@pytest.fixture
def no_full_collections() -> Iterator[None]:
    """Put off the garbage collector's full passes until the test ends: for the tests that assert a timing
    or a deadline (each test marked `alone` gets it). moto keeps in this process what
    AWS would keep elsewhere, tens of thousands of messages and items, and a full pass walks them for up to
    0.4 s here, every thread stopped: answers that came in time wait unread, and when the threads run
    again the deadline expires them first. One healthy answer was taken for a hang that way, and retried
    (in a make test run of 2026-11-25); the longest pause is about 30 ms without the full passes."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.collect()


def pytest_configure(config: pytest.Config) -> None:
    aws_calls.folder()
    aws_calls.install()


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this run is every test: no path, keyword, mark or deselection narrowed it."""
    tests = Path(__file__).parent.resolve()
    named = {Path(argument.split("::")[0]).resolve() for argument in config.args}
    narrowed = (
        config.option.keyword
        or config.option.markexpr
        or config.option.deselect
        or config.getoption("lf", False)
    )
    return named == {tests} and not narrowed


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Each worker leaves the AWS calls its tests' handlers made; the run's first process checks them all
    against the roles (tests/support/aws_calls.py)."""
    worker = getattr(session.config, "workerinput", None)
    aws_calls.save(worker["workerid"] if worker else "main")
    if worker:
        return
    whole = _whole_suite(session.config) and exitstatus == 0
    problems = aws_calls.check(whole_suite=whole)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and aws_calls.summary():
        reporter.write("\n")
        reporter.write_line(f"AWS calls checked against each function's role: {aws_calls.summary()}")
        if whole and not problems:
            reporter.write_line("Every statement of every role is needed by a recorded call.")
    if problems:
        if reporter is not None:
            reporter.write_sep("=", "AWS calls and the functions' roles")
            for problem in problems:
                reporter.write_line(problem)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
