"""Keep botocore's data of the given AWS services alone, in a layer being built (layers/common/Makefile says
why): the other services' folders are deleted, and endpoints.json keeps those services' endpoints alone.

Usage: python trim_botocore.py <the layer's python folder> <service> ...
"""

import gzip
import json
import shutil
import sys
from pathlib import Path


def _endpoint_prefix(service: Path) -> str:
    """The name endpoints.json knows the service by (sesv2's is "email"), from its newest model."""
    model = max(service.glob("*/service-2.json*"))
    raw = model.read_bytes()
    text = gzip.decompress(raw) if model.suffix == ".gz" else raw
    return str(json.loads(text)["metadata"]["endpointPrefix"])


def trim(python: Path, services: set[str]) -> None:
    data = python / "botocore" / "data"
    for folder in data.iterdir():
        if folder.is_dir() and folder.name not in services:
            shutil.rmtree(folder)
    prefixes = {_endpoint_prefix(data / service) for service in services}
    endpoints_file = data / "endpoints.json"
    endpoints = json.loads(endpoints_file.read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {
            name: endpoint for name, endpoint in partition["services"].items() if name in prefixes
        }
    # A new file in its place, not the same one rewritten: an installer may have linked it to its cache
    # and to other environments (uv hard-links), which must keep every service's endpoints.
    trimmed = endpoints_file.with_suffix(".trimmed")
    trimmed.write_text(json.dumps(endpoints, indent=1))
    trimmed.replace(endpoints_file)


if __name__ == "__main__":
    trim(Path(sys.argv[1]), set(sys.argv[2:]))
