"""Tests of the template and the package: the template as SAM translates it; the `stack` fixture on moto,
loopback receivers and export endpoints' health for the roles' test."""

import copy
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from devstack.template import load
from tests.support.health import clock, deliver_function, queue  # noqa: F401
from tests.support.receivers import receiver  # noqa: F401
from tests.support.stack import parsed_template, stack  # noqa: F401


class _NoManagedPolicies:
    """The template names no AWS managed policy in Policies: SAM has nothing to look up in IAM."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="session")
def translated() -> dict[str, Any]:
    """The template's resources as SAM translates them (once a session: they are only read)."""
    document = copy.deepcopy(load())
    # As `sam validate` translates offline: local code locations stand for the S3 objects sam deploy makes.
    for spec in document["Resources"].values():
        properties = spec.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://bucket/{properties[key]}"
    resources: dict[str, Any] = transform(document, {}, _NoManagedPolicies())["Resources"]  # type: ignore[arg-type]
    return resources
