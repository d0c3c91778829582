"""The activity table: one item per activity, keyed by its id; items expire after 30 days."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from mailhooks.aws import aws
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.items import Item, dynamo_data

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

RETENTION = timedelta(days=30)
_deserializer = TypeDeserializer()


def activity_item(record: ActivityRecord) -> Item:
    item = dynamo_data(record)
    item["expires_at"] = int((record.occurred_at + RETENTION).timestamp())
    return item


def activity_put(record: ActivityRecord) -> Item:
    """The record's write, for a transaction that makes it with what it records."""
    return {"Put": {"TableName": aws().activity_table.name, "Item": activity_item(record)}}


@dataclass(frozen=True)
class ActivityLog:
    table: "Table"

    def put(self, records: Sequence[ActivityRecord]) -> None:
        """Write the records in batches of 25, retrying what DynamoDB leaves unprocessed."""
        with self.table.batch_writer() as batch:
            for record in records:
                batch.put_item(Item=activity_item(record))

    def put_one(self, record: ActivityRecord) -> None:
        """Write one record with a single put, which a function allowed no batch writes may make."""
        self.table.put_item(Item=activity_item(record))


def activity_from_stream_image(image: dict[str, Any]) -> ActivityRecord:
    """The record a DynamoDB stream's NewImage (in DynamoDB JSON) stands for."""
    return ActivityRecord.of({key: _deserializer.deserialize(value) for key, value in image.items()})


def activity_log() -> ActivityLog:
    return ActivityLog(aws().activity_table)
