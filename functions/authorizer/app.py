"""API Gateway REQUEST authorizer of the admin API: `Authorization: Bearer <key>` names the account."""

from mailhooks.init_phase import init_phase

with init_phase():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import event_source
    from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
        APIGatewayAuthorizerRequestEvent,
        APIGatewayAuthorizerResponse,
        HttpVerb,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.authorizer import authenticate
    from mailhooks.logs import MaskedFormatter

    logger = Logger(logger_formatter=MaskedFormatter())


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    account_id = authenticate(event.headers.get("authorization"))
    if account_id is None:
        # API Gateway's contract: this exact error answers 401 (the Api's UNAUTHORIZED gateway response).
        raise Exception("Unauthorized")
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=str(account_id),
        context={"account_id": account_id},
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
    )
    # The answer is cached for the key, whatever route it was asked for: allow every admin route.
    policy.allow_route(http_method=HttpVerb.ALL.value, resource="/admin/*")
    return policy.asdict()
