"""The moto `stack` fixture: the template's resources on moto, in this process. The folders whose tests run
on moto expose it through their conftest.py; the root conftest imports no moto, so that tests/unit runs
without it."""

from collections.abc import Iterator

import pytest
from moto import mock_aws

from devstack import moto_fixes
from devstack.provision import provision
from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.settings import settings

moto_fixes.apply()


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The template's resources on moto, and the inbound function's environment as the template sets it."""
    with mock_aws():
        created = provision(Stack.from_file())
        for name, value in created.function_environment("InboundFunction").items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()
        aws.cache_clear()
        yield created
    settings.cache_clear()
    aws.cache_clear()
