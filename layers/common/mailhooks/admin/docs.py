"""The admin API's own description: its OpenAPI document and the Swagger UI page that shows it.

Both are built when asked for, and so are the OpenAPI models of Powertools they need: building those forty
pydantic models took longer than building all of the admin API's own, at every cold start, for a document
the console never reads. Powertools' enable_swagger would import them as it registers its route: the page is
made here from its parts instead, as enable_swagger makes it."""

import json
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

TITLE = "mailhooks admin API"


def _document(app: APIGatewayRestResolver, base_path: str | None = None) -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

    return app.get_openapi_json_schema(
        title=TITLE,
        servers=None if base_path is None else [Server(url=base_path or "/")],
        security_schemes={"bearer": HTTPBearer()},
        security=[{"bearer": []}],
    )


def openapi_document(app: APIGatewayRestResolver) -> Response[str]:
    # Reformatted on one line: Powertools indents it.
    return Response(200, "application/json", json.dumps(json.loads(_document(app))))


def swagger_page(app: APIGatewayRestResolver) -> Response[str]:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    # The stage when the request came by it (API Gateway's own URL, not a custom domain), so that the page's
    # "Try it out" calls the API where it is.
    context = app.current_event.request_context
    stage = f"/{context.stage}" if context.path.startswith(f"/{context.stage}/") else ""
    assets = Path(swagger_ui.__file__).parent
    page = swagger_ui.generate_swagger_html(
        # A </script> in a description must not end the page's script.
        _document(app, stage).replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )
    return Response(200, "text/html", page)
