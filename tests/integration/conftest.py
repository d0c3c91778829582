"""Tests on moto: the `stack` fixture, loopback receivers, and export endpoints' health."""

from tests.support.health import clock, deliver_function, queue  # noqa: F401
from tests.support.receivers import receiver, verifying_receiver  # noqa: F401
from tests.support.stack import parsed_template, stack  # noqa: F401
