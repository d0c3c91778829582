"""Lists (with their custom subscriber fields), their subscribers, and templates: what operations refer to."""

import base64
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import ConfigDict, Field, field_validator

from mailhooks.admin.base import Body, account_id, new_router
from mailhooks.body_fields import Line
from mailhooks.errors import InvalidInput, NotFound
from mailhooks.models import CustomField, EmailTemplate, MailingList, SubscriberStatus
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.counters import next_id
from mailhooks.store.lists import list_records

router = new_router()
# An id in a path: a number DynamoDB keys can hold.
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class NewList(Body):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=200)
    fields: list[CustomField] = Field(default=[], description="Custom subscriber fields of the list.")

    @field_validator("fields")
    @classmethod
    def _fields_have_usable_names(cls, fields: list[CustomField]) -> list[CustomField]:
        # Imported here, with every operation: most admin routes never need one (inbound_webhooks.operations).
        from mailhooks.inbound.operations.add_subscriber import field_name_problem

        names = [field.name for field in fields]
        problems = [problem for name in names if (problem := field_name_problem(name))]
        problems += [f"{name!r} is named twice" for name in sorted(set(names)) if names.count(name) > 1]
        if problems:
            raise ValueError("; ".join(problems))
        return fields


class ListSubscriber(Body):
    id: int
    email: str
    status: SubscriberStatus
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SubscriberPageView(Body):
    subscribers: list[ListSubscriber]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


class NewTemplate(Body):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=200)
    html: str = Field(
        min_length=1, description="HTML of the email; {{email}} and {{<custom field>}} are filled in."
    )


def _list(list_id: int) -> MailingList:
    found = list_records().get_list(account_id(router), list_id)
    if found is None:
        raise NotFound(f"list {list_id} was not found")
    return found


@router.post("/admin/lists", summary="Create a list", responses={201: {"description": "The new list"}})
def create_list(new: NewList) -> tuple[MailingList, int]:
    created = MailingList(id=next_id("list"), account_id=account_id(router), name=new.name, fields=new.fields)
    list_records().put_list(created)
    return created, 201


@router.get("/admin/lists", summary="The account's lists")
def list_lists() -> list[MailingList]:
    return list_records().lists(account_id(router))


@router.get("/admin/lists/<list_id>", summary="One list, with its custom fields")
def read_list(list_id: PathId) -> MailingList:
    return _list(list_id)


@router.get("/admin/lists/<list_id>/subscribers", summary="A page of the list's subscribers, by address")
def list_subscribers(
    list_id: PathId,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SubscriberPageView:
    mailing_list = _list(list_id)
    try:
        after = base64.urlsafe_b64decode(cursor.encode()).decode() if cursor else None
    except ValueError:
        raise InvalidInput("cursor: not a cursor this API gave") from None
    page = list_records().subscribers_after(mailing_list.id, after, limit)
    next_cursor = base64.urlsafe_b64encode(page.last.encode()).decode() if page.last else None
    return SubscriberPageView(
        subscribers=[ListSubscriber.model_validate(asdict(subscriber)) for subscriber in page.subscribers],
        next_cursor=next_cursor,
    )


@router.post(
    "/admin/templates", summary="Create a template", responses={201: {"description": "The new template"}}
)
def create_template(new: NewTemplate) -> tuple[EmailTemplate, int]:
    created = EmailTemplate(id=next_id("template"), account_id=account_id(router), **new.model_dump())
    campaign_records().put_template(created)
    return created, 201


@router.get("/admin/templates", summary="The account's templates")
def list_templates() -> list[EmailTemplate]:
    return campaign_records().templates(account_id(router))


@router.get("/admin/templates/<template_id>", summary="One template")
def read_template(template_id: PathId) -> EmailTemplate:
    found = campaign_records().get_template(account_id(router), template_id)
    if found is None:
        raise NotFound(f"template {template_id} was not found")
    return found
