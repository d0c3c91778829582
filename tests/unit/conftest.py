"""Unit tests: pure logic, without moto, AWS or the network. A run of these alone must not even import moto:
the session fails if it did (a helper that pulls moto in belongs with the tests on moto)."""

import sys
from pathlib import Path

import pytest

from mailhooks.settings import settings

UNIT = Path(__file__).resolve().parent


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    items = getattr(session, "items", [])
    only_unit = bool(items) and all(UNIT in Path(item.path).parents for item in items)
    if only_unit and "moto" in sys.modules:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("FAILED: the unit tests imported moto; they must run without it", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The settings a function reads, with names that lead nowhere: for logic that reads settings but calls
    no AWS. Answers the monkeypatch, to change more of them (then settings.cache_clear())."""
    for name in ("DATA_TABLE", "ACTIVITY_TABLE", "DELIVERY_TABLE", "IDEMPOTENCY_TABLE"):
        monkeypatch.setenv(name, f"unit-{name.lower()}")
    queues = (
        "CAMPAIGN_QUEUE_URL",
        "DELIVERY_QUEUE_URL",
        "DELIVERY_DEAD_LETTER_QUEUE_URL",
        "FAN_OUT_FAILURE_QUEUE_URL",
    )
    for name in queues:
        monkeypatch.setenv(name, f"https://sqs.us-east-1.amazonaws.com/123456789012/unit-{name.lower()}")
    monkeypatch.setenv("SENDER_EMAIL", "platform@example.com")
    settings.cache_clear()
    yield monkeypatch  # type: ignore[misc]
    settings.cache_clear()
