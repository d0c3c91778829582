"""The links of the platform's emails, each a GET that shows a button and a POST that acts:
/subscriptions/confirm/{token} confirms a double opt-in; /subscriptions/unsubscribe/{token} is a campaign
email's List-Unsubscribe link (the POST unsubscribes with one click); /subscriptions/endpoint-warnings/{token}
confirms an export endpoint's owner email, to which its health warnings go."""

from mailhooks.init_phase import init_phase

with init_phase():
    import base64

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

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
    app = APIGatewayRestResolver()


def _html(page: Page, metric: str) -> Response[str]:
    metrics.add_metric(name=metric if page.status == 200 else "LinkErrors", unit=MetricUnit.Count, value=1)
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


@app.get("/subscriptions/endpoint-warnings/<token>")
def owner_email_page(token: str) -> Response[str]:
    return _html(owner_emails.confirmation_form(token), "OwnerEmailPagesShown")


@app.post("/subscriptions/endpoint-warnings/<token>")
def owner_email_confirmation(token: str) -> Response[str]:
    return _html(owner_emails.confirm_owner_email(token), "OwnerEmailsConfirmed")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return app.resolve(event, context)
