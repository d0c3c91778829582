"""The admin API's OpenAPI document: valid OpenAPI 3, served with Swagger UI, and a bounded schemathesis
run against the admin function finds no 5xx."""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error

from devstack.template import Stack
from mailhooks.settings import settings as mailhooks_settings
from tests.support.admin import AdminWsgi, admin_event
from tests.support.helpers import FakeLambdaContext, seed_account, seed_list, seed_template


@pytest.fixture
def admin_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> AdminWsgi:
    for name, value in stack.function_environment("AdminFunction").items():
        monkeypatch.setenv(name, value)
    mailhooks_settings.cache_clear()
    seed_account(12)
    seed_list(12, 2222)
    seed_template(12, 31)
    return AdminWsgi(account_id=12)


def served(path: str) -> tuple[int, str, str]:
    from functions.admin.app import handler

    event = admin_event("GET", path, account_id=None)  # these two routes need no key
    response = handler(event, FakeLambdaContext())  # type: ignore[arg-type]
    return response["statusCode"], response["multiValueHeaders"]["Content-Type"][0], response["body"]


def test_the_openapi_document_is_valid_openapi_3(admin_function: AdminWsgi) -> None:
    status, content_type, body = served("/admin/openapi.json")
    document = json.loads(body)

    validate(document)
    assert (status, content_type, document["openapi"][:2]) == (200, "application/json", "3.")
    assert {"/admin/inbound-webhooks", "/admin/endpoints", "/admin/lists", "/admin/payload-paths"} <= set(
        document["paths"]
    )
    assert document["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_swagger_ui_is_served(admin_function: AdminWsgi) -> None:
    status, content_type, body = served("/admin/docs")
    assert (status, content_type) == (200, "text/html")
    assert "swagger-ui" in body


def test_no_request_makes_the_admin_api_fail_with_a_5xx(admin_function: AdminWsgi) -> None:
    """A bounded run: a dozen generated requests for each operation of the document."""
    schema = schemathesis.openapi.from_wsgi("/admin/openapi.json", admin_function)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
