"""template.yaml read the way CloudFormation reads it: parameters, resources, intrinsic functions.

The local stack and the tests create every resource from the template itself and resolve each function's
environment from it, so nothing is wired by hand.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


# The SAM resource types the template's Globals sections apply to.
_GLOBALS_SECTION = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def rest_api_id(logical_id: str) -> str:
    """The id of the template's API of that logical id: shaped like API Gateway's (10 lowercase letters and
    digits), the same on every run."""
    return hashlib.sha256(logical_id.encode()).hexdigest()[:10]


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader)
    return document


@dataclass
class Stack:
    """A template and the physical values of what has been created of it."""

    template: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    # Logical id -> {"Ref": ..., attribute name: value}
    physical: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What CodeUri and other paths of the template are relative to.
    directory: Path = ROOT

    @classmethod
    def from_file(cls, path: Path = TEMPLATE, overrides: Mapping[str, str] | None = None) -> "Stack":
        """The template with its parameters' defaults, and overrides as `sam deploy --parameter-overrides`
        gives them: each must be a parameter of the template, with one of its allowed values."""
        template = load(path)
        declared = template.get("Parameters", {})
        overrides = overrides or {}
        for name, value in overrides.items():
            if name not in declared:
                raise ValueError(f"parameter override {name}: the template has no such parameter")
            allowed = [str(option) for option in declared[name].get("AllowedValues", [value])]
            if value not in allowed:
                raise ValueError(f"parameter override {name}={value!r}: allowed values are {allowed}")
        defaults = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        return cls(template, {**defaults, **overrides}, directory=path.resolve().parent)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return resources

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {name: spec for name, spec in self.resources.items() if spec["Type"] in types}

    def properties(self, name: str) -> dict[str, Any]:
        """A resource's properties, unresolved, over the template's Globals for its type (as SAM merges
        them: a property of the resource replaces the global one)."""
        spec = self.resources[name]
        section = _GLOBALS_SECTION.get(spec["Type"])
        shared = self.template.get("Globals", {}).get(section, {}) if section else {}
        return {**shared, **spec.get("Properties", {})}

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": "mailhooks-local",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]["Ref"]
        raise KeyError(f"!Ref {name}: not a parameter, or a resource not created yet")

    def _get_att(self, name: str, attribute: str) -> Any:
        if name not in self.physical or attribute not in self.physical[name]:
            raise KeyError(f"!GetAtt {name}.{attribute}: not created yet")
        return self.physical[name][attribute]

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                return str(self._get_att(*name.split(".", 1)))
            return str(self._ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function evaluated."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                return self._get_att(argument[0], argument[1])
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self._sub(text, variables)
            if key == "Fn::Join":
                return str(argument[0]).join(str(self.resolve(item)) for item in argument[1])
            if key == "Fn::ToJsonString":
                return json.dumps(self.resolve(argument))
        return {key: self.resolve(inner) for key, inner in value.items()}

    def logical_id(self, physical: str) -> str:
        """The resource that has this physical value (a name, URL or ARN), or the value itself."""
        for name, values in self.physical.items():
            if physical in values.values():
                return name
        return physical

    def shared_environment(self) -> dict[str, str]:
        """The environment variables of the template's Globals, which every function has, resolved."""
        shared = (
            self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        )
        return {key: str(self.resolve(value)) for key, value in shared.items()}

    def function_environment(self, name: str) -> dict[str, str]:
        """A function's environment variables, the template's globals and its own, resolved."""
        own = self.resources[name]["Properties"].get("Environment", {}).get("Variables", {})
        return {**self.shared_environment(), **{key: str(self.resolve(value)) for key, value in own.items()}}
