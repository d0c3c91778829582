"""The template's functions run in this process as Lambda runs them: imported once, one call at a time.

Environment. Lambda gives each function a process of its own; here all share one, and os.environ is one
for all threads. The variables every function agrees on (each one's own, and the shared ones with equal
values) are set in the process once, before any function is imported. A variable two functions set to
different values (each one's POWERTOOLS_SERVICE_NAME) is set only while that function's module is imported,
which is when Powertools' Logger and Metrics read it. It is not set around each call: that would
need one lock for every function, serializing them all and deadlocking a function that calls the local
API. It would not isolate them anyway, as the layer's caches (settings(), aws()) are per process.
"""

import importlib.util
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from devstack.template import ACCOUNT_ID, REGION, Stack

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The part of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    handler: Handler
    memory: int
    timeout: int
    # A Lambda execution environment runs one invocation at a time, and handlers rely on it: Powertools
    # resolver keeps the current event on a module-level object.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            context = LambdaContext(self.name, self.memory, self.arn, str(uuid.uuid4()), self.timeout)
            return self.handler(event, context)


@contextmanager
def _environment(overlay: dict[str, str], unset: set[str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in [*overlay, *unset]}
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update(overlay)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _handler(stack: Stack, logical_id: str, properties: dict[str, Any]) -> Handler:
    runtime = str(stack.resolve(properties.get("Runtime", "")))
    if not runtime.startswith("python"):
        raise ValueError(f"{logical_id}: runtime {runtime!r} cannot run in this Python process")
    code_uri = stack.resolve(properties.get("CodeUri"))
    if not isinstance(code_uri, str):
        raise ValueError(f"{logical_id}: CodeUri must be a directory of this repository")
    module_path, _, attribute = str(stack.resolve(properties["Handler"])).rpartition(".")
    code = (stack.directory / code_uri).resolve()
    path = code / Path(*module_path.split(".")).with_suffix(".py")
    # Lambda puts the code's directory on the path, for modules next to the handler's. Appended, so the
    # project's packages win; two functions with same-named helper modules would share the first one.
    if str(code) not in sys.path:
        sys.path.append(str(code))
    module = _import(f"devstack_function_{logical_id}", path)
    handler: Handler = getattr(module, attribute)
    return handler


def _import(name: str, path: Path) -> ModuleType:
    # Under a name of its own: every function's handler module may be called app.py.
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Functions:
    def __init__(self, stack: Stack) -> None:
        ids = list(stack.of_type("AWS::Serverless::Function"))
        environments = {logical_id: stack.function_environment(logical_id) for logical_id in ids}
        values: dict[str, set[str]] = {}
        for environment in environments.values():
            for name, value in environment.items():
                values.setdefault(name, set()).add(value)
        differing = {name for name, seen in values.items() if len(seen) > 1}
        os.environ.update({name: seen.pop() for name, seen in values.items() if name not in differing})
        stack_name = stack.resolve({"Ref": "AWS::StackName"})
        self.by_id: dict[str, LocalFunction] = {}
        for logical_id in ids:
            own = {name: value for name, value in environments[logical_id].items() if name in differing}
            properties = stack.properties(logical_id)
            with _environment(own, differing - set(own)):
                handler = _handler(stack, logical_id, properties)
            self.by_id[logical_id] = LocalFunction(
                logical_id=logical_id,
                name=str(stack.resolve(properties.get("FunctionName", f"{stack_name}-{logical_id}"))),
                handler=handler,
                memory=int(stack.resolve(properties.get("MemorySize", 128))),
                timeout=int(stack.resolve(properties.get("Timeout", 3))),
            )

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        return self.by_id[logical_id].invoke(event)
