"""The admin API of account owners, under /admin: one router per resource, included by the admin function."""

import json

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from mailhooks.admin import export_endpoints, inbound_webhooks, lists, operations
from mailhooks.admin.base import error_response, validation_problems
from mailhooks.errors import InvalidInput, MailhooksError

TITLE = "mailhooks admin API"
ROUTERS = (operations.router, lists.router, inbound_webhooks.router, export_endpoints.router)


def invalid_request(error: RequestValidationError) -> Response[str]:
    return error_response(InvalidInput(validation_problems(error.errors())))


def admin_api() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    for router in ROUTERS:
        app.include_router(router)

    app.exception_handler(MailhooksError)(error_response)
    app.exception_handler(RequestValidationError)(invalid_request)

    app.enable_swagger(
        path="/admin/docs", title=TITLE, security_schemes={"bearer": HTTPBearer()}, security=[{"bearer": []}]
    )

    @app.get("/admin/openapi.json", include_in_schema=False)
    def openapi() -> Response[str]:
        return Response(
            200,
            "application/json",
            json.dumps(
                json.loads(
                    app.get_openapi_json_schema(
                        title=TITLE, security_schemes={"bearer": HTTPBearer()}, security=[{"bearer": []}]
                    )
                )
            ),
        )

    return app
