"""The operations an inbound webhook can run, and the nodes of a payload its parameters can be mapped to."""

from typing import Any

from pydantic import BaseModel

from mailhooks.admin.base import new_router
from mailhooks.operations import OPERATIONS

router = new_router()


class OperationParameter(BaseModel):
    name: str
    required: bool
    type: str
    default: Any = None
    description: str | None = None


class OperationDescription(BaseModel):
    name: str
    summary: str
    uses_webhook_list: bool
    parameters: list[OperationParameter]


def _type_name(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type_name(option) for option in schema["anyOf"] if option.get("type") != "null")
    if schema.get("type") == "array":
        return f"list of {_type_name(schema.get('items', {}))}s"
    return str(schema.get("format") or schema.get("type") or "any")


@router.get("/admin/operations", summary="The operations an inbound webhook can run, with their parameters")
def list_operations() -> list[OperationDescription]:
    described = []
    for operation in OPERATIONS.values():
        schema = operation.parameters.model_json_schema()
        required = set(schema.get("required", []))
        parameters = [
            OperationParameter(
                name=name,
                required=name in required,
                type=_type_name(field),
                default=field.get("default"),
                description=field.get("description"),
            )
            for name, field in schema["properties"].items()
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
