"""Settings as template.yaml writes them into each function's environment: every variable read as its field's
type, an unset one left at its default, a wrong or missing one refused by name at the function's start."""

import pytest

from mailhooks.settings import settings


def test_each_variable_is_read_as_the_type_of_its_setting(configured: pytest.MonkeyPatch) -> None:
    configured.setenv("MAX_BODY_BYTES", "1024")
    configured.setenv("DELIVERY_TIMEOUT", "2.5")
    configured.setenv("DELIVERY_RETRY_SCHEDULE", "[0, 30]")
    configured.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    configured.setenv("API_HOST", "abc.execute-api.eu-west-1.amazonaws.com")
    configured.setenv("SES_CONFIGURATION_SET", "mailhooks-events")
    read = settings()
    assert read.data_table == "unit-data_table"
    assert read.max_body_bytes == 1024
    assert read.delivery_timeout == 2.5
    assert read.delivery_retry_schedule == [0, 30]
    assert read.allow_local_endpoints is True
    assert read.api_host == "abc.execute-api.eu-west-1.amazonaws.com"
    assert read.ses_configuration_set == "mailhooks-events"


def test_an_unset_variable_leaves_its_setting_at_the_default(configured: pytest.MonkeyPatch) -> None:
    for name in ("MAX_BODY_BYTES", "DELIVERY_RETRY_SCHEDULE", "ALLOW_LOCAL_ENDPOINTS", "API_HOST"):
        configured.delenv(name, raising=False)
    read = settings()
    assert read.max_body_bytes == 256 * 1024
    assert read.delivery_retry_schedule == [5, 60, 300, 1800, 7200, 21600, 43200]
    assert read.allow_local_endpoints is False
    assert read.api_host is None


@pytest.mark.parametrize("false", ["false", "False", "0", "no", "off"])
def test_a_switch_reads_the_usual_words_for_false(configured: pytest.MonkeyPatch, false: str) -> None:
    configured.setenv("ALLOW_LOCAL_ENDPOINTS", false)
    assert settings().allow_local_endpoints is False


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("MAX_BODY_BYTES", "lots", "MAX_BODY_BYTES='lots' is not int"),
        ("BREAKER_FAILURE_RATE", "70%", "BREAKER_FAILURE_RATE='70%' is not float"),
        ("ALLOW_LOCAL_ENDPOINTS", "maybe", "ALLOW_LOCAL_ENDPOINTS='maybe' is not bool"),
        ("DELIVERY_RETRY_SCHEDULE", "5, 60", "DELIVERY_RETRY_SCHEDULE='5, 60' is not list"),
        ("DELIVERY_RETRY_SCHEDULE", '["5"]', "not a JSON list of integers"),
    ],
)
def test_a_variable_that_is_not_its_type_is_refused_by_name(
    configured: pytest.MonkeyPatch, name: str, text: str, named: str
) -> None:
    configured.setenv(name, text)
    with pytest.raises(ValueError, match=named):
        settings()


def test_a_setting_without_default_left_unset_is_refused_by_name(configured: pytest.MonkeyPatch) -> None:
    configured.delenv("DELIVERY_QUEUE_URL")
    configured.delenv("SENDER_EMAIL")
    with pytest.raises(ValueError, match="not set: DELIVERY_QUEUE_URL, SENDER_EMAIL"):
        settings()
