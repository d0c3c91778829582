"""Lists (with their custom subscriber fields), their subscribers, and templates: what operations refer to."""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailhooks.admin.base import account_id, route, view_of
from mailhooks.bodies import (
    BOOLEAN,
    body_field,
    checked,
    choice,
    described,
    line,
    list_of,
    nested,
    string,
    whole,
)
from mailhooks.errors import InvalidInput, NotFound
from mailhooks.models import CustomField, EmailTemplate, MailingList, SubscriberStatus
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.counters import next_id
from mailhooks.store.lists import list_records


@dataclass(frozen=True, kw_only=True)
class NewCustomField:
    """A subscriber field of the list's own, mapped like a parameter of add_subscriber."""

    name: str = body_field(string())
    type: str = body_field(choice(["text", "number", "date", "boolean"]), default="text")
    required: bool = body_field(BOOLEAN, default=False)


def _usable_names(fields: list[NewCustomField]) -> list[CustomField]:
    # Imported here, with every operation: most admin routes never need one (inbound_webhooks.operations).
    from mailhooks.inbound.operations.add_subscriber import field_name_problem

    names = [field.name for field in fields]
    problems = [problem for name in names if (problem := field_name_problem(name))]
    problems += [f"{name!r} is named twice" for name in sorted(set(names)) if names.count(name) > 1]
    if problems:
        raise ValueError("; ".join(problems))
    return [CustomField(name=field.name, type=field.type, required=field.required) for field in fields]  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class NewList:
    name: str = body_field(line(1, 200))
    fields: list[CustomField] = body_field(
        checked(list_of(nested(NewCustomField)), _usable_names),
        "Custom subscriber fields of the list.",
        default=[],
    )


@dataclass(frozen=True)
class ListSubscriber:
    id: int
    email: str
    status: SubscriberStatus
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SubscriberPage:
    subscribers: list[ListSubscriber]
    next_cursor: str | None = described("Pass as cursor for the next page; null on the last page.")


@dataclass(frozen=True, kw_only=True)
class NewTemplate:
    name: str = body_field(line(1, 200))
    html: str = body_field(
        string(min_length=1), "HTML of the email; {{email}} and {{<custom field>}} are filled in."
    )


def _list(list_id: int) -> MailingList:
    found = list_records().get_list(account_id(), list_id)
    if found is None:
        raise NotFound(f"list {list_id} was not found")
    return found


@route("post", "/admin/lists", "Create a list", body=NewList, status=201, answered="The new list")
def create_list(new: NewList) -> MailingList:
    created = MailingList(id=next_id("list"), account_id=account_id(), name=new.name, fields=new.fields)
    list_records().put_list(created)
    return created


@route("get", "/admin/lists", "The account's lists")
def list_lists() -> list[MailingList]:
    return list_records().lists(account_id())


@route("get", "/admin/lists/<list_id>", "One list, with its custom fields", ids=("list_id",))
def read_list(list_id: int) -> MailingList:
    return _list(list_id)


@route(
    "get",
    "/admin/lists/<list_id>/subscribers",
    "A page of the list's subscribers, by address",
    ids=("list_id",),
    query={"cursor": (string(), "next_cursor of the previous page"), "limit": (whole(1, 500), None)},
)
def list_subscribers(list_id: int, cursor: str | None = None, limit: int = 50) -> SubscriberPage:
    mailing_list = _list(list_id)
    try:
        after = base64.urlsafe_b64decode(cursor.encode()).decode() if cursor else None
    except ValueError:
        raise InvalidInput("cursor: not a cursor this API gave") from None
    page = list_records().subscribers_after(mailing_list.id, after, limit)
    next_cursor = base64.urlsafe_b64encode(page.last.encode()).decode() if page.last else None
    return SubscriberPage([view_of(ListSubscriber, each) for each in page.subscribers], next_cursor)


@route(
    "post",
    "/admin/templates",
    "Create a template",
    body=NewTemplate,
    status=201,
    answered="The new template",
)
def create_template(new: NewTemplate) -> EmailTemplate:
    created = EmailTemplate(id=next_id("template"), account_id=account_id(), name=new.name, html=new.html)
    campaign_records().put_template(created)
    return created


@route("get", "/admin/templates", "The account's templates")
def list_templates() -> list[EmailTemplate]:
    return campaign_records().templates(account_id())


@route("get", "/admin/templates/<template_id>", "One template", ids=("template_id",))
def read_template(template_id: int) -> EmailTemplate:
    found = campaign_records().get_template(account_id(), template_id)
    if found is None:
        raise NotFound(f"template {template_id} was not found")
    return found
