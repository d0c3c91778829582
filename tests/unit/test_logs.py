"""Email addresses and phone numbers are masked in log lines, and nothing else is."""

import pytest

from mailhooks.logs import masked


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"error": "ana.garcia+news@shop.example rejected"}', '{"error": "a***@shop.example rejected"}'),
        ("to <Ana@Mail.Example.COM>", "to <A***@Mail.Example.COM>"),
        ("recipient +34600000000 failed", "recipient +34*******00 failed"),
        ("recipient +34 600 00 00 00 failed", "recipient +34*******00 failed"),
        ("(received '34600000000')", "(received '34*******00')"),
        ('"value": "4915112345678"', '"value": "49*********78"'),
    ],
)
def test_addresses_and_numbers_are_masked(line: str, expected: str) -> None:
    assert masked(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        '"function_arn": "arn:aws:lambda:us-east-1:123456789012:function:inbound"',
        '"timestamp": "2026-12-01 10:05:09,404+0000"',
        '"account_id": 12, "action_id": 1234567890123',
        '"xray_trace_id": "1-67a1b2c3-12345678901234567890abcd"',
        "parameter 'email' is required but not mapped",
        "no @ here, nor user@localhost",
    ],
)
def test_what_is_no_address_or_number_is_left_as_it_is(line: str) -> None:
    assert masked(line) == line
