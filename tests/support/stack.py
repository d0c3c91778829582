"""The moto `stack` fixture: the template's resources on moto, in this process. The folders whose tests run
on moto expose it through their conftest.py; the root conftest imports no moto, so that tests/unit runs
without it."""

import copy
from collections.abc import Iterator

import pytest
from moto import mock_aws

from devstack import moto_fixes
from devstack.provision import provision
from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.settings import settings

moto_fixes.apply()


@pytest.fixture(scope="session")
def parsed_template() -> Stack:
    """template.yaml, parsed once a session (each test's stack gets a copy of it)."""
    return Stack.from_file()


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, parsed_template: Stack) -> Iterator[Stack]:
    """The template's resources on moto, and the inbound function's environment as the template sets it."""
    with mock_aws():
        created = provision(
            Stack(
                copy.deepcopy(parsed_template.template),
                dict(parsed_template.parameters),
                directory=parsed_template.directory,
            )
        )
        for name, value in created.function_environment("InboundFunction").items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()
        aws.cache_clear()
        yield created
    settings.cache_clear()
    aws.cache_clear()
