"""Cold start: how long importing each function's handler module takes in a fresh interpreter, beside
importing boto3 alone. The ratio is the figure: what the handler adds on top of the SDK every Lambda
function pays for."""

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.harness import FAKE_AWS, median, moto_stack

RUNS = 7
ROOT = Path(__file__).resolve().parent.parent
_TIMER = """
import sys, time
started = time.perf_counter()
{statement}
print(time.perf_counter() - started)
"""


def _import_seconds(statement: str, path: list[str], environment: dict[str, str]) -> float:
    # -X importtime would add its own cost; a fresh interpreter per run is what a cold start is.
    code = _TIMER.format(statement=statement)
    runs = []
    for _ in range(RUNS):
        answer = subprocess.run(  # noqa: S603  # this interpreter, running code of ours
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **environment, "PYTHONPATH": os.pathsep.join(path)},
        )
        runs.append(float(answer.stdout.strip().splitlines()[-1]))
    return median(runs)


def measure() -> dict[str, object]:
    with moto_stack() as stack:
        environments = {
            name: stack.function_environment(name) for name in stack.of_type("AWS::Serverless::Function")
        }
    layer = str(ROOT / "layers" / "common")
    boto3_alone = _import_seconds("import boto3", [layer], FAKE_AWS)
    functions = {}
    for name in sorted(stack.of_type("AWS::Serverless::Function")):
        properties = stack.properties(name)
        module, _, _ = properties["Handler"].partition(".")
        directory = str(ROOT / properties["CodeUri"])
        environment = {**FAKE_AWS, **environments[name]}
        seconds = _import_seconds(f"import {module}", [directory, layer], environment)
        functions[name] = {
            "import_ms": round(seconds * 1000, 1),
            "ratio_to_boto3": round(seconds / boto3_alone, 2),
        }
    return {"boto3_import_ms": round(boto3_alone * 1000, 1), "runs": RUNS, "functions": functions}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
