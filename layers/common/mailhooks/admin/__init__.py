"""The admin API of account owners, under /admin: one module of routes per resource (mailhooks.admin.base).

Each resource's module is imported at the first request to it, not at the function's init: a cold start
serves one request, and importing every resource's routes, bodies and what they call was a fifth of the
function's init (issue 17)."""

import importlib
import json

from aws_lambda_powertools import Logger

from mailhooks.admin.base import Answer, answer, error_answer
from mailhooks.errors import MailhooksError, internal_error
from mailhooks.gateway import GatewayRequest

logger = Logger(child=True)

# The module of each resource's routes, by the first segments of its paths.
RESOURCES = {
    "/admin/operations": "operations",
    "/admin/payload-paths": "operations",
    "/admin/lists": "lists",
    "/admin/templates": "lists",
    "/admin/campaigns": "campaigns",
    "/admin/inbound-webhooks": "inbound_webhooks",
    "/admin/endpoints": "export_endpoints",
    "/admin/deliveries": "export_endpoints",
    "/admin/sending-domains": "sending_domains",
}
# The API's own description, which no API key is needed for (template.yaml).
DOCUMENT, DOCS = "/admin/openapi.json", "/admin/docs"


def import_routes(path: str | None = None) -> None:
    """Import the routes of the resource at a path; of every resource, without one."""
    for prefix, module in RESOURCES.items():
        if path is None or path == prefix or path.startswith(f"{prefix}/"):
            importlib.import_module(f"mailhooks.admin.{module}")


def _answer(request: GatewayRequest) -> Answer:
    if request.method == "GET" and request.path in (DOCUMENT, DOCS):
        from mailhooks.admin import docs

        import_routes()
        return docs.openapi_document() if request.path == DOCUMENT else docs.swagger_page(request)
    import_routes(request.path)
    return answer(request)


def serve(event: dict[str, object], request_id: str | None) -> dict[str, object]:
    """API Gateway's answer to an admin request: the route's, or {"error": ...} naming what is wrong."""
    try:
        answered = _answer(GatewayRequest.of(event))
    except MailhooksError as error:
        answered = error_answer(error)
    except Exception:
        logger.exception("admin request failed")
        answered = Answer(500, json.dumps({"error": internal_error(request_id)}))
    return {
        "statusCode": answered.status,
        "multiValueHeaders": {"Content-Type": [answered.content_type]}
        | {name: [value] for name, value in answered.headers.items()},
        "body": answered.body,
        "isBase64Encoded": False,
    }
