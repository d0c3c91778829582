"""Fail unless a built layer's botocore carries the data of exactly the AWS services that the layer's code
creates a client or resource for (layers/common/Makefile keeps those alone, and says why), and creates a
client of each from the layer, its endpoint found."""

import ast
import os
import subprocess
import sys
from pathlib import Path

_CREATE = """
import sys
import botocore.session
session = botocore.session.get_session()
for service in sys.argv[1:]:
    client = session.create_client(
        service, region_name="eu-west-1", aws_access_key_id="check", aws_secret_access_key="check"
    )
    assert client.meta.endpoint_url.startswith("https://"), client.meta.endpoint_url
"""


def named_services(package: Path) -> set[str]:
    """The services named in the package's boto3.client("...") and boto3.resource("...") calls."""
    named = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("client", "resource")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "boto3"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                named.add(str(node.args[0].value))
    return named


def main(layer: str) -> int:
    python = Path(layer) / "python"
    named = named_services(python / "mailhooks")
    carried = {path.name for path in (python / "botocore" / "data").iterdir() if path.is_dir()}
    for service in sorted(named - carried):
        print(f"the layer's code calls {service}, whose data the layer's botocore does not carry")
    for service in sorted(carried - named):
        print(f"the layer's botocore carries the data of {service}, which its code never calls")
    created = subprocess.run(  # noqa: S603  # this interpreter, loading the layer's botocore
        [sys.executable, "-S", "-c", _CREATE, *sorted(named)],
        env={**os.environ, "PYTHONPATH": str(python)},
        capture_output=True,
        text=True,
    )
    if created.returncode:
        print(f"the layer's botocore could not create a client:\n{created.stderr}")
    print(f"the layer's botocore carries {len(carried)} services; its code calls {', '.join(sorted(named))}")
    return 1 if named != carried or created.returncode or not named else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
