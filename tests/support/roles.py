"""The functions' roles as SAM translates them from template.yaml, and the AWS calls they allow.

A call is what IAM sees of one AWS request: its action (service:Operation) and the template resource it
names (a table or queue's logical id, "/index/<name>" added for a query of a table's index), or None for a
resource outside the template (an SES identity, a phone number)."""

import copy
import fnmatch
from dataclasses import dataclass
from functools import cache
from typing import Any

from samtranslator.translator.transform import transform

from devstack.template import load


@dataclass(frozen=True)
class Call:
    action: str
    resource: str | None


class _NoManagedPolicies:
    """The template names no AWS managed policy in Policies: SAM has nothing to look up in IAM."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def translated() -> dict[str, Any]:
    """The template's resources as SAM translates them (once a process: they are only read)."""
    document = copy.deepcopy(load())
    # As `sam validate` translates offline: local code locations stand for the S3 objects sam deploy makes.
    for spec in document["Resources"].values():
        properties = spec.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://bucket/{properties[key]}"
    resources: dict[str, Any] = transform(document, {}, _NoManagedPolicies())["Resources"]  # type: ignore[arg-type]
    return resources


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource(resource: Any) -> str | None:
    """The logical id a statement's Resource names (with "/index/<name>" for a table's index, the name a
    pattern), or None."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text, variables = (
            (resource["Fn::Sub"], {}) if isinstance(resource["Fn::Sub"], str) else resource["Fn::Sub"]
        )
        for name, value in variables.items():
            if text.endswith(f"${{{name}}}"):
                return _resource(value)
        if text.startswith("${") and ".Arn}/index/" in text:
            return text.removeprefix("${").split(".")[0] + "/index/" + text.rsplit("/", 1)[1]
    return None


def statements(resources: dict[str, Any], function: str) -> list[dict[str, Any]]:
    """The Allow statements of the function's role."""
    role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]


def allows(statement: dict[str, Any], call: Call) -> bool:
    if not any(fnmatch.fnmatchcase(call.action, action) for action in listed(statement["Action"])):
        return False
    if call.resource is None:
        return True
    patterns = {_resource(resource) for resource in listed(statement.get("Resource", []))}
    return any(fnmatch.fnmatchcase(call.resource, pattern) for pattern in patterns if pattern is not None)


def denied(resources: dict[str, Any], function: str, calls: list[Call]) -> list[Call]:
    """The calls the function's role, among the translated template's resources, does not allow."""
    grants = statements(resources, function)
    refused = {call for call in calls if not any(allows(statement, call) for statement in grants)}
    return sorted(refused, key=str)


def unused(resources: dict[str, Any], function: str, calls: list[Call]) -> list[dict[str, Any]]:
    """The statements of the function's role that no call needs: without one of them, no call is denied."""
    grants = statements(resources, function)

    def needed(index: int) -> bool:
        others = grants[:index] + grants[index + 1 :]
        return any(
            allows(grants[index], call) and not any(allows(other, call) for other in others) for call in calls
        )

    return [statement for index, statement in enumerate(grants) if not needed(index)]
