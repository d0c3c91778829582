"""The admin API's own description: its OpenAPI document, made from its routes (mailhooks.admin.base) and
their bodies and answers when asked for, and the Swagger UI page that shows it."""

import json
import re
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from mailhooks.admin.base import ROUTES, Answer, Route
from mailhooks.bodies import ID_SHAPE, body_schema
from mailhooks.gateway import GatewayRequest

TITLE = "mailhooks admin API"
_PLAIN: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
    Any: {},
    object: {},
}


class _Schemas:
    """The schemas of the document's components, each body and record once, named by its class."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, record: type) -> dict[str, Any]:
        name = record.__name__
        if name not in self.components:
            self.components[name] = {}  # taken, for a record that holds itself
            if _is_body(record):
                self.components[name] = body_schema(record)
                for each in fields(record):
                    for referred in each.metadata["shape"].refers:
                        self.ref(referred)
            else:
                self.components[name] = self._record(record)
        return {"$ref": f"#/components/schemas/{name}"}

    def change(self, body: type) -> dict[str, Any]:
        """The schema of a change of some of a body's fields (bodies.given_fields): none required, and what
        is left out stays as it is, whatever the body's defaults."""
        self.ref(body)
        if "required" not in self.components[body.__name__]:
            return self.ref(body)
        name = f"{body.__name__}Change"
        if name not in self.components:
            whole = self.components[body.__name__]
            properties = {
                field: {key: value for key, value in schema.items() if key != "default"}
                for field, schema in whole["properties"].items()
            }
            self.components[name] = {key: value for key, value in whole.items() if key != "required"} | {
                "properties": properties
            }
        return {"$ref": f"#/components/schemas/{name}"}

    def _record(self, record: type) -> dict[str, Any]:
        hints = typing.get_type_hints(record)
        properties = {}
        for each in fields(record):
            schema = self.of(hints[each.name])
            if "description" in each.metadata:
                schema = {**schema, "description": each.metadata["description"]}
            properties[each.name] = schema
        required = [
            each.name
            for each in fields(record)
            if each.default is MISSING and each.default_factory is MISSING
        ]
        return {"type": "object", "properties": properties, "required": required}

    def of(self, hint: Any) -> dict[str, Any]:
        """The JSON Schema of the values of a type."""
        origin, arguments = typing.get_origin(hint), typing.get_args(hint)
        if hint in _PLAIN:
            return _PLAIN[hint]
        if origin is typing.Literal:
            return {"type": "string", "enum": list(arguments)}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(argument) for argument in arguments]}
        if hint is type(None):
            return {"type": "null"}
        if origin is list:
            return {"type": "array", "items": self.of(arguments[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.of(arguments[1])}
        if isinstance(hint, type) and issubclass(hint, Enum):
            return {"enum": [member.value for member in hint]}
        if isinstance(hint, type) and is_dataclass(hint):
            return self.ref(hint)
        raise TypeError(f"no JSON Schema for {hint!r}")


def _is_body(record: type) -> bool:
    return all("shape" in each.metadata for each in fields(record))


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": ID_SHAPE.schema if name in route.ids else {"type": "string"},
        }
        for name in route.pattern.groupindex
    ]
    for name, (shape, description) in route.query.items():
        required = name in route.required_query
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": required,
            "schema": shape.schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    answer = typing.get_type_hints(route.function).get("return")
    answered: dict[str, Any] = {"description": route.answered or "OK"}
    if answer not in (None, type(None)):
        answered["content"] = {"application/json": {"schema": schemas.of(answer)}}
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": f"{route.function.__module__.rpartition('.')[2]}_{route.function.__name__}",
        "responses": {
            str(route.status): answered,
            "400": {"description": 'The request is not as the API takes it: {"error": ...} says why'},
        },
    }
    if route.description:
        operation["description"] = route.description
    if parameters:
        operation["parameters"] = parameters
    schema = schemas.ref(route.body) if route.body else schemas.change(route.given) if route.given else None
    if schema is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation


def document(base_path: str | None = None) -> dict[str, Any]:
    """The OpenAPI document of every admin route."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        path = re.sub(r"<(\w+)>", r"{\1}", route.path)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, schemas)
    described: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
    if base_path is not None:
        described["servers"] = [{"url": base_path or "/"}]
    return described


def openapi_document() -> Answer:
    return Answer(200, json.dumps(document()))


def swagger_page(request: GatewayRequest) -> Answer:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    # The stage when the request came by it (API Gateway's own URL, not a custom domain), so that the page's
    # "Try it out" calls the API where it is.
    sent = request.sent_path or ""
    stage = f"/{request.stage}" if request.stage and sent.startswith(f"/{request.stage}/") else ""
    assets = Path(swagger_ui.__file__).parent
    page = swagger_ui.generate_swagger_html(
        # A </script> in a description must not end the page's script.
        json.dumps(document(stage)).replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )
    return Answer(200, page, "text/html")
