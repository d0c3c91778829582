"""POST /hooks/{token}: an external system calls an inbound webhook."""

from mailhooks.init_phase import init_phase

with init_phase():
    import base64
    import json

    # Named by no code here: all operations but send_sms check an address, with email_validator, which
    # pydantic imports at the first one (inbound.parameters.Email). Imported with the handler, it is not the
    # first call's.
    import email_validator  # noqa: F401
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.errors import internal_error
    from mailhooks.inbound.call import NO_WEBHOOK, InboundCall, answer_call
    from mailhooks.inbound.replays import REPLAYED_HEADER, delivery_id
    from mailhooks.links import api_base_url
    from mailhooks.logs import MaskedFormatter

    logger = Logger(logger_formatter=MaskedFormatter())
    metrics = Metrics()
    app = APIGatewayRestResolver()

ANSWERED = ["POST", "HEAD"]
OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"]


@app.route("/hooks/<token>", method=ANSWERED)
def call_webhook(token: str) -> Response[str]:
    event = app.current_event
    body = base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode()
    answer = answer_call(
        InboundCall(
            token=token,
            method=event.http_method,
            content_type=event.headers.get("content-type"),
            body=body,
            base_url=api_base_url(event),
            delivery_id=delivery_id(event.headers),
            lambda_context=app.lambda_context,
        )
    )
    metrics.add_metric(
        name="InboundCalls" if answer.status < 400 else "InboundErrors", unit=MetricUnit.Count, value=1
    )
    text = "" if event.http_method == "HEAD" else json.dumps(answer.body)
    headers = {**answer.headers, REPLAYED_HEADER: "true"} if answer.replayed else answer.headers
    return Response(status_code=answer.status, content_type="application/json", body=text, headers=headers)


@app.route("/hooks/<token>", method=OTHER_METHODS)
def other_method(token: str) -> Response[str]:
    metrics.add_metric(name="InboundErrors", unit=MetricUnit.Count, value=1)
    error = {"error": f"{app.current_event.http_method} is not answered here; send POST"}
    return Response(
        status_code=405,
        content_type="application/json",
        body=json.dumps(error),
        headers={"Allow": ", ".join(ANSWERED)},
    )


@app.not_found
def no_route(_: Exception) -> Response[str]:
    """A path under /hooks/ that is no token's, such as /hooks/a/b."""
    metrics.add_metric(name="InboundErrors", unit=MetricUnit.Count, value=1)
    return Response(status_code=404, content_type="application/json", body=json.dumps({"error": NO_WEBHOOK}))


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]  # Powertools leaves it unannotated
def failure(error: Exception) -> Response[str]:
    """Where the call could not even be counted (its webhook unreadable): our own 500, never the gateway's."""
    logger.error("inbound call failed", exc_info=error)
    metrics.add_metric(name="InboundErrors", unit=MetricUnit.Count, value=1)
    answer = {"error": internal_error(app.lambda_context.aws_request_id)}
    return Response(status_code=500, content_type="application/json", body=json.dumps(answer))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return app.resolve(event, context)
