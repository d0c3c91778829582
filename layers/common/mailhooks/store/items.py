"""Records as DynamoDB items, shared by the modules of both tables."""

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

Item = dict[str, Any]


def dynamo_data(record: BaseModel) -> Item:
    """A record's fields as DynamoDB takes them: through JSON once, floats parsed as Decimal."""
    data: Item = json.loads(record.model_dump_json(), parse_float=Decimal)
    return data
