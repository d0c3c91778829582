"""The links of the platform's emails, each a GET that shows a button and a POST that acts:
/subscriptions/confirm/{token} confirms a double opt-in; /subscriptions/unsubscribe/{token} is a campaign
email's List-Unsubscribe link (the POST unsubscribes with one click); /subscriptions/endpoint-warnings/{token}
confirms an export endpoint's owner email, to which its health warnings go.

API Gateway sends this function those six routes alone, each with its resource and its token: it answers
them by that resource, without Powertools' REST resolver, whose import (with the resolvers of AppSync,
Bedrock and the rest, asyncio, and the data classes of every event source) was a fifth of its cold start."""

from mailhooks.init_phase import init_phase

with init_phase():
    from collections.abc import Callable
    from typing import Any

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.gateway import GatewayRequest
    from mailhooks.links import Page
    from mailhooks.logs import MaskedFormatter
    from mailhooks.outbound import owner_emails
    from mailhooks.sending.subscriptions import (
        confirm_subscription,
        confirmation_form,
        unsubscribe_by_link,
        unsubscribe_form,
    )

    logger = Logger(logger_formatter=MaskedFormatter())
    metrics = Metrics()


def _unsubscribe(token: str, request: GatewayRequest) -> Page:
    return unsubscribe_by_link(token, request.headers.get("content-type"), request.body)


# Each route's page, from its token and the request, and the metric it counts when shown.
ROUTES: dict[tuple[str, str], tuple[Callable[[str, GatewayRequest], Page], str]] = {
    ("GET", "/subscriptions/confirm/{token}"): (
        lambda token, _: confirmation_form(token),
        "ConfirmationPagesShown",
    ),
    ("POST", "/subscriptions/confirm/{token}"): (
        lambda token, _: confirm_subscription(token),
        "SubscriptionsConfirmed",
    ),
    ("GET", "/subscriptions/unsubscribe/{token}"): (
        lambda token, _: unsubscribe_form(token),
        "UnsubscribePagesShown",
    ),
    ("POST", "/subscriptions/unsubscribe/{token}"): (_unsubscribe, "OneClickUnsubscriptions"),
    ("GET", "/subscriptions/endpoint-warnings/{token}"): (
        lambda token, _: owner_emails.confirmation_form(token),
        "OwnerEmailPagesShown",
    ),
    ("POST", "/subscriptions/endpoint-warnings/{token}"): (
        lambda token, _: owner_emails.confirm_owner_email(token),
        "OwnerEmailsConfirmed",
    ),
}
NOT_FOUND = Page(404, "Not found", "This link is not one of ours.")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = GatewayRequest.of(event)
    route = ROUTES.get((request.method, request.resource))
    token = request.path_parameters.get("token")
    if route is None or not token:
        page, metric = NOT_FOUND, "LinkErrors"
    else:
        show, shown = route
        page = show(token, request)
        metric = shown if page.status == 200 else "LinkErrors"
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return {
        "statusCode": page.status,
        "multiValueHeaders": {
            "Content-Type": ["text/html; charset=utf-8"],
            # The URL is the subscriber's secret: not cached, and not passed on to the pages linked from it.
            "Cache-Control": ["no-store"],
            "Referrer-Policy": ["no-referrer"],
        },
        "body": page.html(),
        "isBase64Encoded": False,
    }
