"""Scheduled: warn the owners of export endpoints that have only failed for a day, disable those that have
for five (the spans are settings), probe those whose deliveries are parked behind an open breaker, and give
up the deliveries parked for as long as the delivery log keeps deliveries."""

from mailhooks.init_phase import init_phase

with init_phase():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks import clock
    from mailhooks.logs import MaskedFormatter
    from mailhooks.outbound.endpoint_health.review import review

    logger = Logger(logger_formatter=MaskedFormatter())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    review(clock.now())
