"""Cold start: how long importing each function's handler module takes in a fresh interpreter, beside two
references measured in the same run. The ratios are the figures:

- ratio_to_boto3: beside `import boto3` alone, the SDK every Lambda function pays for.
- ratio_to_baseline: beside bench/baseline_handler.py, the bare Powertools handler issue 17 names: boto3
  (every function but the console calls AWS), Powertools' Logger and Metrics (every function logs, four
  count), its APIGatewayRestResolver and pydantic with one model built. No Tracer: the functions construct
  none, and the X-Ray SDK it imports costs more than all of mailhooks (README, "Tracing"). What a handler
  imports beyond the baseline is mailhooks and what only its own work needs; and each imports less than some
  of it: none imports Powertools' resolver nor pydantic (the admin API finds its routes and reads its bodies
  itself, each resource's routes imported at the first request to it).
- baseline_paused: the same baseline with the garbage collector paused over its import and what it built
  frozen, as every function of ours runs its init (mailhooks.init_phase): what that alone saves a bare
  handler, beside what it saves ours. The functions' ratio_to_baseline stays against the bare handler.

Each is imported as Lambda imports it: the function's folder and the layer on the path and nothing else
(python -S), with the layer built by its own recipe (layers/common/Makefile, as `sam build` runs it, for this
machine's platform), bytecode and all, and the function's folder as source, as `sam build` leaves it; and
the function's environment as deployed (template.yaml's variables, and LAMBDA_TASK_ROOT, by which Powertools
knows that it runs in Lambda). Nothing is written back: no bytecode is cached between runs (Lambda's code is
read-only). Not in the project's virtual environment: its development packages change both references
(boto3 imports pyOpenSSL, cryptography and awscrt when they are there, and with them modules the handlers
would otherwise import themselves; pydantic looks for plugins among all its packages).

The figures are the import's CPU time in the fresh interpreter, median of RUNS: on a shared machine the
wall time is mostly the neighbours' (a Lambda's init has its CPU to itself); the wall time is given beside
it. The runs go round by round, each subject once per round, so that a busy moment of the machine weighs on
all of them alike."""

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from bench.harness import FAKE_AWS, median, moto_stack

RUNS = 11
# Issue 17's goals for every function's import.
GOAL_TO_BOTO3, GOAL_TO_BASELINE = 1.3, 1.1
ROOT = Path(__file__).resolve().parent.parent
LAYER_SOURCE = ROOT / "layers" / "common"
# Where the bench builds the layer, again at each run (once for all the benchmarks of a run, which
# bench.first_call measures too): mailhooks changes between runs.
LAYER = ROOT / ".aws-sam" / "cold-start-layer"
BASELINE_PACKAGES = ROOT / ".aws-sam" / "cold-start-baseline"
BOTO3 = "boto3"
BASELINE = "baseline"
BASELINE_PAUSED = "baseline_paused"
_TIMER = """
import sys, time
cpu, wall = time.process_time(), time.perf_counter()
{statement}
print(time.process_time() - cpu, time.perf_counter() - wall)
"""


def _import_seconds(statement: str, path: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """CPU and wall seconds of one import in a fresh interpreter."""
    # -X importtime would add its own cost; a fresh interpreter per run is what a cold start is.
    answer = subprocess.run(  # noqa: S603  # this interpreter, running code of ours
        [sys.executable, "-S", "-c", _TIMER.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **environment, "PYTHONPATH": os.pathsep.join(path)},
        # As Lambda starts in the function's folder; the project's own folders are not Lambda's.
        cwd=path[0],
    )
    cpu, wall = answer.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall)


@cache
def build_layer() -> str:
    """The layer's path entry, built by its Makefile for this machine: the same packages, from uv's cache
    where the Makefile's pip would download arm64 wheels; compiled alike."""
    shutil.rmtree(LAYER, ignore_errors=True)
    subprocess.run(  # noqa: S603  # make, with the layer's own recipe
        [
            shutil.which("make") or "make",
            "--no-print-directory",
            "-C",
            str(LAYER_SOURCE),
            "build-CommonLayer",
            f"ARTIFACTS_DIR={LAYER}",
            f"PYTHON={sys.executable}",
            "PLATFORM=",
            f"PIP={sys.executable} -m uv pip install --quiet --python {sys.executable}",
        ],
        check=True,
        stdout=sys.stderr,  # the bench's own output is its JSON
    )
    return str(LAYER / "python")


@cache
def baseline_packages() -> str:
    """The path entry of what the baseline needs beyond the layer: pydantic, which no function of ours
    imports, so the layer leaves it out; the version the project's tests run, installed and compiled as the
    layer's packages are."""
    from importlib.metadata import version

    shutil.rmtree(BASELINE_PACKAGES, ignore_errors=True)
    install = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", sys.executable]
    subprocess.run(  # noqa: S603  # uv, with the version the virtual environment holds
        [*install, "--target", str(BASELINE_PACKAGES), f"pydantic=={version('pydantic')}"],
        check=True,
        stdout=sys.stderr,
    )
    compile_all = [sys.executable, "-m", "compileall", "-q", "-f", "-j", "0", "--invalidation-mode"]
    subprocess.run(  # noqa: S603  # this interpreter's compileall, as the layer's Makefile runs it
        [*compile_all, "unchecked-hash", str(BASELINE_PACKAGES)], check=True, stdout=sys.stderr
    )
    return str(BASELINE_PACKAGES)


def _subjects() -> dict[str, tuple[str, list[str], dict[str, str]]]:
    """What to import, from where, in which environment: the two references, then every function."""
    layer = build_layer()
    baseline = [str(ROOT / "bench"), layer, baseline_packages()]
    subjects = {
        BOTO3: ("import boto3", [layer], FAKE_AWS),
        BASELINE: ("import baseline_handler", baseline, FAKE_AWS),
        BASELINE_PAUSED: (
            "from mailhooks.init_phase import init_phase\nwith init_phase():\n    import baseline_handler",
            baseline,
            FAKE_AWS,
        ),
    }
    with moto_stack() as stack:
        for name in sorted(stack.of_type("AWS::Serverless::Function")):
            properties = stack.properties(name)
            module, _, _ = properties["Handler"].partition(".")
            directory = str(ROOT / properties["CodeUri"])
            environment = {**FAKE_AWS, **stack.function_environment(name), "LAMBDA_TASK_ROOT": directory}
            subjects[name] = (f"import {module}", [directory, layer], environment)
    return subjects


def measure() -> dict[str, object]:
    subjects = _subjects()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in subjects}
    for _ in range(RUNS):
        for name, (statement, path, environment) in subjects.items():
            runs[name].append(_import_seconds(statement, path, environment))
    cpu = {name: median([run[0] for run in taken]) for name, taken in runs.items()}
    wall = {name: median([run[1] for run in taken]) for name, taken in runs.items()}
    boto3_alone, baseline, paused = cpu.pop(BOTO3), cpu.pop(BASELINE), cpu.pop(BASELINE_PAUSED)
    functions = {
        name: {
            "import_ms": round(taken * 1000, 1),
            "wall_ms": round(wall[name] * 1000, 1),
            "ratio_to_boto3": round(taken / boto3_alone, 2),
            "ratio_to_baseline": round(taken / baseline, 2),
        }
        for name, taken in cpu.items()
    }
    return {
        "boto3_import_ms": round(boto3_alone * 1000, 1),
        "baseline_import_ms": round(baseline * 1000, 1),
        "baseline_ratio_to_boto3": round(baseline / boto3_alone, 2),
        "baseline_paused_import_ms": round(paused * 1000, 1),
        "baseline_paused_ratio_to_boto3": round(paused / boto3_alone, 2),
        "runs": RUNS,
        "functions": functions,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
