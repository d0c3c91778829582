"""AWS clients, created on first use and kept for the life of the container."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as NoConnection
from botocore.httpsession import get_cert_path
from botocore.parsers import ResponseParserError

from mailhooks.errors import OutcomeUnknown, UpstreamFailure
from mailhooks.settings import settings
from mailhooks.tls import trust_store

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource, Table
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

    from mailhooks.store.idempotency import CallRecords

# Given, botocore sends it as it is, with boto3's Botocore/<version> after it; otherwise it assembles its own
# from some forty sanitised parts, twice for each request. That was a tenth of a DynamoDB write's CPU against
# the local stack (3.3 ms, 3.0 without), and a fifth of ours per delivered event (python -m bench.cpu: 4.9
# to 5.3 ms, 4.0 to 4.2 without; an inbound add_subscriber 10.0 ms, 7.3 to 8.5).
_USER_AGENT = f"mailhooks Boto3/{boto3.__version__}"
# Short timeouts and three attempts in all: a caller waits on these, so fail fast and say so.
_CONFIG = Config(
    user_agent=_USER_AGENT,
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
)
# The providers that send (SES, SNS): one attempt. A send that failed or timed out may have been carried
# out, and a retry would send it twice; the caller gets a 502 and decides.
_SENDING = _CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
Client = TypeVar("Client")


def _setup_ssl_cert(pool: Any, url: str, verify: Any) -> None:
    """botocore's URLLib3Session._setup_ssl_cert, run on the request's connection pool before every request,
    but giving the pool the context of its CA bundle (mailhooks.tls), loaded once for the container, rather
    than the bundle as a file, which urllib3 2 loads again for each new connection
    (tests/integration/test_aws_tls.py: loaded once, and a server the bundle does not vouch for refused)."""
    if not (url.lower().startswith("https") and verify):
        pool.cert_reqs, pool.ca_certs = "CERT_NONE", None
        return
    pool.cert_reqs, bundle = "CERT_REQUIRED", get_cert_path(verify)
    if bundle is None or not hasattr(pool, "conn_kw"):  # as botocore does it
        pool.ca_certs = bundle
        return
    pool.conn_kw["ssl_context"], pool.ca_certs = trust_store(bundle), None


def _trusting_once(client: Client) -> Client:
    """The client, its connections checked against its CA bundle loaded once (_setup_ssl_cert)."""
    session: Any = getattr(getattr(client, "_endpoint", None), "http_session", None)
    if hasattr(session, "_setup_ssl_cert"):  # else a botocore that sends otherwise: left as it is
        session._setup_ssl_cert = _setup_ssl_cert
    return client


class Aws:
    @cached_property
    def dynamodb(self) -> "DynamoDBServiceResource":
        resource = boto3.resource("dynamodb", config=_CONFIG)
        _trusting_once(resource.meta.client)
        return resource

    @cached_property
    def data_table(self) -> "Table":
        return self.dynamodb.Table(settings().data_table)

    @cached_property
    def activity_table(self) -> "Table":
        return self.dynamodb.Table(settings().activity_table)

    @cached_property
    def delivery_table(self) -> "Table":
        return self.dynamodb.Table(settings().delivery_table)

    @cached_property
    def idempotency_store(self) -> "CallRecords":
        # Imported here: only the inbound function keeps records of its calls.
        from mailhooks.store.idempotency import CallRecords

        return CallRecords(self.dynamodb.Table(settings().idempotency_table))

    @cached_property
    def sesv2(self) -> "SESV2Client":
        return _trusting_once(boto3.client("sesv2", config=_SENDING))

    @cached_property
    def sns(self) -> "SNSClient":
        return _trusting_once(boto3.client("sns", config=_SENDING))

    @cached_property
    def sqs(self) -> "SQSClient":
        return _trusting_once(boto3.client("sqs", config=_CONFIG))


@cache
def aws() -> Aws:
    return Aws()


@contextmanager
def upstream(service: str) -> Iterator[None]:
    """Turn a failure of the AWS service that carries out an operation into a 502 the caller can read: an
    UpstreamFailure where the service refused or was never reached, OutcomeUnknown where it took the
    request and its answer was lost."""
    try:
        yield
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise UpstreamFailure(f"{service} failed: {detail.get('Message') or detail.get('Code')}") from error
    except NoConnection as error:  # checked before HTTPClientError: a proxy that refused is both
        raise UpstreamFailure(f"{service} failed: {error}") from error
    except (HTTPClientError, ResponseParserError) as error:  # read timeout, connection closed, a proxy's page
        raise OutcomeUnknown(f"{service} took the request and gave no answer: {_reason(error)}") from error
    except BotoCoreError as error:
        raise UpstreamFailure(f"{service} failed: {error}") from error


def _reason(error: Exception) -> str:
    if isinstance(error, ResponseParserError):
        return "it answered what is not an AWS answer"
    return "it did not answer in time" if isinstance(error, ReadTimeoutError) else str(error)
