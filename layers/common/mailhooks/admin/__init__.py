"""The admin API of account owners, under /admin: one router per resource, included by the admin function."""

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from mailhooks.admin import campaigns, export_endpoints, inbound_webhooks, lists, operations, sending_domains
from mailhooks.admin.base import error_response, validation_problems
from mailhooks.admin.docs import openapi_document, swagger_page
from mailhooks.errors import InvalidInput, MailhooksError, NotFound, internal_error

logger = Logger(child=True)

ROUTERS = (
    operations.router,
    lists.router,
    campaigns.router,
    inbound_webhooks.router,
    export_endpoints.router,
    sending_domains.router,
)


def invalid_request(error: RequestValidationError) -> Response[str]:
    return error_response(InvalidInput(validation_problems(error.errors())))


def no_route(_: Exception) -> Response[str]:
    return error_response(NotFound("nothing answers at this URL with this method"))


def admin_api() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    for router in ROUTERS:
        app.include_router(router)

    app.exception_handler(MailhooksError)(error_response)
    app.exception_handler(RequestValidationError)(invalid_request)

    def failure(error: Exception) -> Response[str]:
        logger.error("admin request failed", exc_info=error)
        reference = getattr(app.lambda_context, "aws_request_id", None)
        return Response(500, "application/json", json.dumps({"error": internal_error(reference)}))

    app.exception_handler(Exception)(failure)
    app.not_found(no_route)

    @app.get("/admin/docs", include_in_schema=False)
    def docs() -> Response[str]:
        return swagger_page(app)

    @app.get("/admin/openapi.json", include_in_schema=False)
    def openapi() -> Response[str]:
        return openapi_document(app)

    return app
