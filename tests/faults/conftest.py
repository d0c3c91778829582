"""Tests on moto: the `stack` fixture."""

from tests.support.stack import stack  # noqa: F401
