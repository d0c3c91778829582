"""The baseline of bench/cold_start.py: a bare Powertools handler module with the SDK and pydantic, as the
functions of ours that read pydantic records need them, and none of mailhooks. See cold_start's docstring
for why each piece is here."""

from typing import Any

import boto3  # noqa: F401  # imported, not used: its import is what the baseline counts
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()


class Item(BaseModel):
    id: int
    name: str


@app.get("/items/<item_id>")
def item(item_id: str) -> dict[str, Any]:
    return Item(id=int(item_id), name="item").model_dump()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
