"""Tests on moto: the `stack` fixture."""

from tests.support.stack import parsed_template, stack  # noqa: F401
