"""Tests of the template and the package: the template as SAM translates it; the `stack` fixture on moto,
loopback receivers and export endpoints' health for the roles' test."""

from typing import Any

import pytest

from tests.support import roles
from tests.support.health import clock, deliver_function, queue  # noqa: F401
from tests.support.receivers import receiver  # noqa: F401
from tests.support.stack import parsed_template, stack  # noqa: F401


@pytest.fixture(scope="session")
def translated() -> dict[str, Any]:
    """The template's resources as SAM translates them."""
    return roles.translated()
