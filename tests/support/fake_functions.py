"""Stand-ins for the template's functions, for the local stack's parts that invoke them (the front, the
pollers)."""

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from devstack.template import ACCOUNT_ID, REGION

Behaviour = Callable[[dict[str, Any]], Any]


class FakeFunctions:
    """Stands for the template's functions: each invocation is recorded, and answered by the behaviour the
    test gives the function (by default, a proxy result that echoes the event's requestContext.authorizer)."""

    def __init__(self, **behaviours: Behaviour) -> None:
        self.behaviours = behaviours
        self.calls: list[tuple[str, dict[str, Any]]] = []
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:"
        self.by_id = {name: SimpleNamespace(arn=arn + name) for name in behaviours}

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        self.calls.append((logical_id, event))
        if logical_id in self.behaviours:
            return self.behaviours[logical_id](event)
        return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}

    def events(self, logical_id: str) -> list[dict[str, Any]]:
        return [event for name, event in self.calls if name == logical_id]


def fails(message: str) -> Behaviour:
    def behaviour(event: dict[str, Any]) -> Any:
        raise Exception(message)

    return behaviour
