"""The admin API's bodies (mailhooks.bodies) read as pydantic read them before: the same values, and each
refusal in the same words at the same place. The oracles are the pydantic models the admin API had, built
here as they were (Powertools named each problem `loc: msg`, its "Value error, " taken off)."""

from dataclasses import asdict
from typing import Annotated, Any, Literal

import pytest
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from mailhooks.admin.campaigns import NewAbCampaign
from mailhooks.admin.export_endpoints import EndpointChanges
from mailhooks.admin.lists import NewTemplate
from mailhooks.bodies import Problems, given_fields, read_body, said
from mailhooks.errors import InvalidInput
from mailhooks.inbound.addresses import email_address
from mailhooks.inbound.kinds import MAX_ID, one_line
from mailhooks.json_form import json_answer
from mailhooks.models import EmailTemplate

Line = Annotated[str, AfterValidator(one_line)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Email = Annotated[str, AfterValidator(email_address)]


class OldVariant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Line | None = Field(None, min_length=1, max_length=998)
    template_id: Id | None = None


class OldAbCampaign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=200)
    from_name: Line = Field(min_length=1, max_length=200)
    from_email: Email
    subject: Line | None = Field(None, min_length=1, max_length=998)
    template_id: Id | None = None
    lists: list[Id] = Field(min_length=1)
    variants: list[OldVariant] = Field(min_length=2, max_length=4)
    test_share: int = Field(ge=1, le=100)
    wait_seconds: int = Field(ge=60, le=7 * 24 * 3600)
    winner_by: Literal["opens", "clicks"]


# Where the words are ours on purpose: pydantic counted an empty optional subject's "items", and named its
# own class where a variant was no object.
BETTER_WORDS = {
    "Value should have at least 1 item after validation, not 0": "String should have at least 1 character",
    "a valid dictionary or instance of OldVariant": "a valid dictionary or object to extract fields from",
}


def _old_problems(model: type[BaseModel], body: Any) -> str | None:
    try:
        model.model_validate(body)
    except ValidationError as error:
        said = "; ".join(
            f"{'.'.join(str(part) for part in each['loc']) or 'body'}: "
            f"{each['msg'].removeprefix('Value error, ')}"
            for each in error.errors()
        )
        for theirs, ours in BETTER_WORDS.items():
            said = said.replace(theirs, ours)
        return said
    return None


def _new_problems(body: Any) -> str | None:
    try:
        given_fields(NewAbCampaign, body)
    except Problems as problems:
        return said(problems).message
    return None


VALID = {
    "name": "Spring",
    "from_name": "Shop",
    "from_email": "news@shop.example",
    "subject": "Hello",
    "template_id": 31,
    "lists": [2222],
    "variants": [{"subject": "A"}, {"subject": "B"}],
    "test_share": 20,
    "wait_seconds": 3600,
    "winner_by": "opens",
}
CHANGED: list[dict[str, Any]] = [
    {},
    {"name": ""},
    {"name": "x" * 201},
    {"name": "two\nlines"},
    {"name": 5},
    {"name": None},
    {"from_email": "not an address"},
    {"from_email": "Ana <ana@shop.example>"},
    {"from_email": "ANA@SHOP.EXAMPLE"},
    {"subject": None},
    {"subject": ""},
    {"template_id": 0},
    {"template_id": "31"},
    {"template_id": "3.5"},
    {"template_id": 2**63},
    {"template_id": True},
    {"lists": []},
    {"lists": "2222"},
    {"lists": [1, "x", 0, 2.0]},
    {"variants": [{"subject": "A"}]},
    {"variants": [{"subject": "A"}] * 5},
    {"variants": [{"subject": "A"}, {"colour": "red"}]},
    {"variants": [{"subject": "A"}, "B"]},
    {"variants": [{"subject": ""}, {"template_id": -1}]},
    {"test_share": 0},
    {"test_share": 101},
    {"test_share": "50"},
    {"test_share": 50.5},
    {"test_share": float("inf")},
    {"wait_seconds": 59},
    {"wait_seconds": 7 * 24 * 3600 + 1},
    {"winner_by": "sends"},
    {"winner_by": None},
    {"colour": "red", "secret": "x"},
]


@pytest.mark.parametrize("change", CHANGED)
def test_a_campaign_body_is_read_and_refused_as_pydantic_did(change: dict[str, Any]) -> None:
    body = {**VALID, **change}
    assert _new_problems(body) == _old_problems(OldAbCampaign, body)
    if _new_problems(body) is None:
        assert asdict(read_body(NewAbCampaign, body)) == OldAbCampaign.model_validate(body).model_dump()


@pytest.mark.parametrize("left_out", ["name", "from_email", "lists", "variants", "winner_by"])
def test_each_required_field_left_out_is_named(left_out: str) -> None:
    body = {name: value for name, value in VALID.items() if name != left_out}
    assert _new_problems(body) == _old_problems(OldAbCampaign, body) == f"{left_out}: Field required"


@pytest.mark.parametrize("body", [[], "text", None, 5])
def test_a_body_that_is_no_object_is_refused(body: Any) -> None:
    assert _new_problems(body) == "body: Input should be a valid dictionary or object to extract fields from"


def test_the_campaigns_own_check_names_each_incomplete_variant() -> None:
    body = {**VALID, "subject": None, "variants": [{"subject": "A"}, {"template_id": 4}]}
    with pytest.raises(Problems) as refused:
        read_body(NewAbCampaign, body)
    assert said(refused.value).message == "body: variants.1: needs a subject, or the campaign's"


def test_a_change_hands_over_only_what_it_gives_nulls_included_where_they_clear() -> None:
    given = given_fields(EndpointChanges, {"owner_email": None, "max_per_second": "5"}, changes=True)
    assert given == {"owner_email": None, "max_per_second": 5}
    with pytest.raises(Problems) as refused:
        given_fields(EndpointChanges, {"max_concurrency": 0, "url": "x" * 2049}, changes=True)
    assert said(refused.value).message == (
        "url: String should have at most 2048 characters; "
        "max_concurrency: Input should be greater than or equal to 1"
    )


def test_a_body_read_is_its_dataclass_with_defaults() -> None:
    template = read_body(NewTemplate, {"name": "Welcome", "html": "<p>Hi {{email}}</p>"})
    assert template == NewTemplate(name="Welcome", html="<p>Hi {{email}}</p>")
    assert isinstance(said(Problems([(("a", 0), "x")])), InvalidInput)


def test_an_answer_is_json_as_pydantic_wrote_it() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 2, 9, 30, 1, 250000, tzinfo=UTC)
    template = EmailTemplate(id=3, account_id=12, name="Ñu", html="<p>", created_at=at)
    assert json_answer([template]) == (
        '[{"id":3,"account_id":12,"name":"Ñu","html":"<p>","created_at":"2026-12-02T09:30:01.250000Z"}]'
    )


def test_an_admin_request_body_nested_too_deeply_is_a_400(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailhooks.admin import serve
    from tests.support.admin import admin_event

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    event = admin_event("POST", "/admin/templates", account_id=12, body=b"[" * 100_000)
    answer = serve(event, "request")
    assert (answer["statusCode"], answer["body"]) == (
        400,
        '{"error": "body: Invalid JSON: nested too deeply"}',
    )
