import os

# Before anything imports boto3 or Powertools: fake credentials, one region, no X-Ray daemon.
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
