"""POST /hooks/{token}: an external system calls an inbound webhook.

API Gateway sends this function one resource, /hooks/{token}, with every method (ANY): there is nothing to
route. Powertools' REST resolver would add 28 to 38 ms of CPU to its init (with it come the resolvers of
AppSync, Bedrock and the rest, and asyncio) to find the token API Gateway has already found."""

from mailhooks.init_phase import init_phase

with init_phase():
    import json

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.errors import internal_error
    from mailhooks.gateway import GatewayRequest
    from mailhooks.inbound.call import NO_WEBHOOK, InboundCall, answer_call
    from mailhooks.inbound.operations import Answer
    from mailhooks.inbound.replays import REPLAYED_HEADER, delivery_id
    from mailhooks.links import api_base_url
    from mailhooks.logs import MaskedFormatter

    logger = Logger(logger_formatter=MaskedFormatter())
    metrics = Metrics()

ANSWERED = ["POST", "HEAD"]


def call_webhook(request: GatewayRequest, context: LambdaContext) -> Answer:
    token = request.path_parameters.get("token")
    if not token:  # a path under /hooks/ that is no token's, such as /hooks/a/b
        return Answer(404, {"error": NO_WEBHOOK})
    if request.method not in ANSWERED:
        error = f"{request.method} is not answered here; send POST"
        return Answer(405, {"error": error}, {"Allow": ", ".join(ANSWERED)})
    return answer_call(
        InboundCall(
            token=token,
            method=request.method,
            content_type=request.headers.get("content-type"),
            body=request.body,
            base_url=api_base_url(request),
            delivery_id=delivery_id(request.headers),
            lambda_context=context,
        )
    )


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    try:
        answer = call_webhook(GatewayRequest.of(event), context)
    except Exception:
        # Where the call could not even be counted (its webhook unreadable): our own 500, never the gateway's.
        logger.exception("inbound call failed")
        answer = Answer(500, {"error": internal_error(context.aws_request_id)})
    name = "InboundCalls" if answer.status < 400 else "InboundErrors"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    headers = {**answer.headers, REPLAYED_HEADER: "true"} if answer.replayed else answer.headers
    return {
        "statusCode": answer.status,
        "multiValueHeaders": {"Content-Type": ["application/json"]} | {k: [v] for k, v in headers.items()},
        "body": "" if event.get("httpMethod") == "HEAD" else json.dumps(answer.body),
        "isBase64Encoded": False,
    }
