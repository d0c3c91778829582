"""The admin API of account owners, under /admin, behind the API key authorizer."""

from mailhooks.init_phase import init_phase

with init_phase():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.admin import serve
    from mailhooks.logs import MaskedFormatter

    logger = Logger(logger_formatter=MaskedFormatter())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return serve(event, getattr(context, "aws_request_id", None))
