"""The operations an inbound webhook can run, and the nodes of a payload its parameters can be mapped to."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import ConfigDict, Field

from mailhooks.admin.base import Body, account_id, new_router
from mailhooks.errors import InvalidInput, NotFound
from mailhooks.inbound.inbound_webhooks import operations
from mailhooks.inbound.mapping import FORM_TYPE, parse_body, selectable_nodes
from mailhooks.store.lists import list_records

router = new_router()


class OperationParameter(Body):
    name: str
    required: bool
    type: str
    default: Any = None
    description: str | None = None


class OperationDescription(Body):
    name: str
    summary: str
    uses_webhook_list: bool
    parameters: list[OperationParameter]


@router.get("/admin/operations", summary="The operations an inbound webhook can run, with their parameters")
def list_operations(
    list_id: Annotated[
        int | None,
        Query(
            ge=1, le=2**63 - 1, description="A list whose custom fields add_subscriber's parameters include"
        ),
    ] = None,
) -> list[OperationDescription]:
    webhook_list = None
    if list_id is not None:
        webhook_list = list_records().get_list(account_id(router), list_id)
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


class PayloadSample(Body):
    """A sample payload, as JSON or as the raw body of a form."""

    model_config = ConfigDict(extra="forbid")

    payload: Any = None
    form: str | None = Field(None, description="A raw application/x-www-form-urlencoded body.")


class SelectableNode(Body):
    path: str = Field(description="JSON Pointer to use in a mapping")
    example: Any


@router.post("/admin/payload-paths", summary="Every node of a sample payload a parameter can be mapped to")
def payload_paths(sample: PayloadSample) -> list[SelectableNode]:
    if (sample.form is None) == ("payload" not in sample.model_fields_set):
        raise InvalidInput("send either payload (a JSON document) or form (a raw urlencoded body)")
    document = sample.payload if sample.form is None else parse_body(FORM_TYPE, sample.form.encode())
    return [SelectableNode(path=path, example=example) for path, example in selectable_nodes(document)]
