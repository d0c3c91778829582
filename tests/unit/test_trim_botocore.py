"""layers/common/trim_botocore.py, as the layer's Makefile runs it: botocore's data of the services named
alone, and endpoints.json with their endpoints alone; and nothing changed outside the layer, where an
installer's hard links (uv's) share its files with its cache and other environments."""

import json
import os
import subprocess
import sys
from pathlib import Path

from devstack.template import ROOT

SCRIPT = ROOT / "layers" / "common" / "trim_botocore.py"


def _service(data: Path, name: str, prefix: str) -> None:
    model = data / name / "2020-01-01" / "service-2.json"
    model.parent.mkdir(parents=True)
    model.write_text(json.dumps({"metadata": {"endpointPrefix": prefix}}))


def test_the_layer_keeps_the_services_named_and_their_endpoints_and_changes_no_linked_file(
    tmp_path: Path,
) -> None:
    data = tmp_path / "layer" / "botocore" / "data"
    _service(data, "sesv2", "email")
    _service(data, "sqs", "sqs")
    _service(data, "s3", "s3")
    endpoints = {"partitions": [{"partition": "aws", "services": {"email": {}, "sqs": {}, "s3": {}}}]}
    installed = tmp_path / "cache-endpoints.json"
    installed.write_text(json.dumps(endpoints))
    os.link(installed, data / "endpoints.json")

    subprocess.run(  # noqa: S603  # this interpreter, running the layer's own script
        [sys.executable, str(SCRIPT), str(tmp_path / "layer"), "sesv2", "sqs"], check=True
    )

    assert sorted(path.name for path in data.iterdir()) == ["endpoints.json", "sesv2", "sqs"]
    trimmed = json.loads((data / "endpoints.json").read_text())
    assert trimmed["partitions"][0]["services"] == {"email": {}, "sqs": {}}
    assert trimmed["partitions"][0]["partition"] == "aws"
    assert json.loads(installed.read_text()) == endpoints
