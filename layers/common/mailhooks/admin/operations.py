"""The operations an inbound webhook can run, and the nodes of a payload its parameters can be mapped to."""

from dataclasses import dataclass
from typing import Any

from mailhooks.admin.base import account_id, route
from mailhooks.bodies import ANY, ID_SHAPE, body_field, described, nullable, string
from mailhooks.errors import InvalidInput, NotFound
from mailhooks.inbound.inbound_webhooks import operations
from mailhooks.inbound.mapping import FORM_TYPE, parse_body, selectable_nodes
from mailhooks.store.lists import list_records


@dataclass(frozen=True)
class OperationParameter:
    name: str
    required: bool
    type: str
    default: Any = None
    description: str | None = None


@dataclass(frozen=True)
class OperationDescription:
    name: str
    summary: str
    uses_webhook_list: bool
    parameters: list[OperationParameter]


@route(
    "get",
    "/admin/operations",
    "The operations an inbound webhook can run, with their parameters",
    query={"list_id": (ID_SHAPE, "A list whose custom fields add_subscriber's parameters include")},
)
def list_operations(list_id: int | None = None) -> list[OperationDescription]:
    webhook_list = None
    if list_id is not None:
        webhook_list = list_records().get_list(account_id(), list_id)
        if webhook_list is None:
            raise NotFound(f"list {list_id} was not found")
    described = []
    for operation in operations().values():
        parameters = [
            OperationParameter(
                name=each.name,
                required=each.required,
                type=each.kind.name,
                default=each.default,
                description=each.description,
            )
            for each in operation.parameters_of(webhook_list).declared
        ]
        described.append(
            OperationDescription(
                name=operation.name,
                summary=operation.summary,
                uses_webhook_list=operation.uses_webhook_list,
                parameters=parameters,
            )
        )
    return described


@dataclass(frozen=True, kw_only=True)
class PayloadSample:
    """A sample payload, as JSON or as the raw body of a form."""

    payload: Any = body_field(ANY, "A JSON document.", default=None)
    form: str | None = body_field(
        nullable(string()), "A raw application/x-www-form-urlencoded body.", default=None
    )


@dataclass(frozen=True)
class SelectableNode:
    path: str = described("JSON Pointer to use in a mapping")
    example: Any = described("Its value in the sample.")


@route(
    "post",
    "/admin/payload-paths",
    "Every node of a sample payload a parameter can be mapped to",
    given=PayloadSample,
)
def payload_paths(given: dict[str, Any]) -> list[SelectableNode]:
    form = given.get("form")
    if (form is None) == ("payload" not in given):
        raise InvalidInput("send either payload (a JSON document) or form (a raw urlencoded body)")
    document = given["payload"] if form is None else parse_body(FORM_TYPE, form.encode())
    return [SelectableNode(path=path, example=example) for path, example in selectable_nodes(document)]
