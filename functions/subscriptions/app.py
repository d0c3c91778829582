"""The links of subscription emails, each a GET that shows a button and a POST that acts:
/subscriptions/confirm/{token} confirms a double opt-in; /subscriptions/unsubscribe/{token} is a campaign
email's List-Unsubscribe link (the POST unsubscribes with one click)."""

import base64

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from mailhooks.links import Page
from mailhooks.sending.subscriptions import (
    confirm_subscription,
    confirmation_form,
    unsubscribe_by_link,
    unsubscribe_form,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()


def _html(page: Page, metric: str) -> Response[str]:
    metrics.add_metric(
        name=metric if page.status == 200 else "SubscriptionLinkErrors", unit=MetricUnit.Count, value=1
    )
    return Response(
        status_code=page.status,
        content_type="text/html; charset=utf-8",
        body=page.html(),
        # The URL is the subscriber's secret: not cached, and not passed on to the pages linked from it.
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@app.get("/subscriptions/confirm/<token>")
def confirmation_page(token: str) -> Response[str]:
    return _html(confirmation_form(token), "ConfirmationPagesShown")


@app.post("/subscriptions/confirm/<token>")
def confirm(token: str) -> Response[str]:
    return _html(confirm_subscription(token), "SubscriptionsConfirmed")


@app.get("/subscriptions/unsubscribe/<token>")
def unsubscribe_page(token: str) -> Response[str]:
    return _html(unsubscribe_form(token), "UnsubscribePagesShown")


@app.post("/subscriptions/unsubscribe/<token>")
def unsubscribe(token: str) -> Response[str]:
    event = app.current_event
    body = base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode()
    page = unsubscribe_by_link(token, event.headers.get("content-type"), body)
    return _html(page, "OneClickUnsubscriptions")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return app.resolve(event, context)
