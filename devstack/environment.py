""".devstack/environment.json: where the running local stack is, for the programs that work with it (the
operator CLI's --local, make demo). It holds the variables that send boto3 to moto, the functions' shared
environment (DATA_TABLE, ...), and the URLs of the API and of the receiver. Written at startup, deleted on
exit by the stack that wrote it.
"""

import json
from pathlib import Path

from devstack.template import ROOT

ENVIRONMENT_FILE = ROOT / ".devstack" / "environment.json"
API_URL = "MAILHOOKS_API_URL"
RECEIVER_URL = "MAILHOOKS_RECEIVER_URL"


def write(path: Path, environment: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(environment, indent=2) + "\n")
    temporary.replace(path)


def remove(path: Path, environment: dict[str, str]) -> None:
    """Delete the file if it is still this stack's: another stack started meanwhile keeps its own."""
    if read(path) == environment:
        path.unlink()


def read(path: Path) -> dict[str, str] | None:
    try:
        environment: dict[str, str] = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return environment
