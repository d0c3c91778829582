"""The idempotency table: Powertools' records of inbound calls, each completed together with the activity of
what the call sent."""

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from boto3.dynamodb.types import TypeSerializer

from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.activity import activity_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()


class CallRecords(DynamoDBPersistenceLayer):
    """Powertools' records, so that a send is made at most once per call. A call's record is completed in
    one transaction with its send activity: written apart, a failed activity write after the provider
    accepted would make Powertools delete the record, and the caller's retry would send a second time."""

    def __init__(self, table_name: str, activity_table: str, client: "DynamoDBClient") -> None:
        super().__init__(table_name=table_name, boto3_client=client)
        self.activity_table = activity_table

    def configure(
        self, config: IdempotencyConfig, function_name: str | None = None, key_prefix: str | None = None
    ) -> None:
        super().configure(config, function_name, key_prefix)
        # Each webhook has a window of its own, and Powertools configures a layer once per container.
        self.expires_after_seconds = config.expires_after_seconds

    def save_inprogress(self, data: dict[str, Any], remaining_time_in_millis: int | None = None) -> None:
        # In progress for the whole window, not only until the invocation's end: a run killed after its send
        # (a timeout) is then not carried out again by the caller's retry.
        super().save_inprogress(data, remaining_time_in_millis=self.expires_after_seconds * 1000)

    def _update_record(self, data_record: DataRecord) -> None:
        sent = json.loads(data_record.response_data).get("sent")
        if sent is None:
            super()._update_record(data_record)
            return
        item = activity_item(ActivityRecord.model_validate(sent))
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": self._get_key(data_record.idempotency_key),
                        "UpdateExpression": "SET #data = :data, #expiry = :expiry, #status = :status",
                        "ExpressionAttributeNames": {
                            "#data": self.data_attr,
                            "#expiry": self.expiry_attr,
                            "#status": self.status_attr,
                        },
                        "ExpressionAttributeValues": {
                            ":data": {"S": data_record.response_data},
                            ":expiry": {"N": str(data_record.expiry_timestamp)},
                            ":status": {"S": data_record.status},
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": self.activity_table,
                        "Item": {name: _serializer.serialize(value) for name, value in item.items()},
                    }
                },
            ]
        )
