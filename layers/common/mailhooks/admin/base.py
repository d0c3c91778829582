"""What every admin route shares: the caller's account, errors as {"error": ...}."""

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, ConfigDict

from mailhooks.errors import Forbidden, MailhooksError, NotFound
from mailhooks.models import Account
from mailhooks.store.accounts import account_records


class Body(BaseModel):
    """A request or answer body of an admin route. Its validator is built when a request first needs it: a
    cold start serves one route, and building every route's bodies at init cost it about 30 ms."""

    model_config = ConfigDict(defer_build=True)


def new_router() -> Router:
    return Router()  # type: ignore[no-untyped-call]  # Powertools leaves its __init__ unannotated


def error_response(error: MailhooksError) -> Response[str]:
    return Response(error.status, "application/json", json.dumps({"error": error.message}), error.headers)


def validation_problems(errors: Sequence[Any]) -> str:
    """One message naming every field of the request that is wrong, and why."""
    problems = []
    for error in errors:
        where = ".".join(str(part) for part in error["loc"] if part not in ("body", "query", "path"))
        problems.append(f"{where or 'body'}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def account_id(router: Router) -> int:
    """The caller's account, as the authorizer found it from the API key; never from the request itself."""
    event = APIGatewayProxyEvent(router.current_event.raw_event)
    return int(event.request_context.authorizer.get_context()["account_id"])


def paid_account(router: Router) -> Account:
    """The caller's account, which must be on a paid plan: inbound webhooks are for paying accounts."""
    account = account_records().get_account(account_id(router))
    if account is None:
        raise NotFound("this API key's account no longer exists")
    if account.plan != "paid":
        raise Forbidden("inbound webhooks are a feature of paid plans, and this account is on the free plan")
    return account
