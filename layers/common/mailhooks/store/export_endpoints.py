"""Export endpoints, in the data table, under their account."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Attr
from pydantic import TypeAdapter

from mailhooks.aws import aws
from mailhooks.models import ExportEndpoint
from mailhooks.store.items import Records, put, to_item
from mailhooks.store.keys import EndpointKey, account_key

if TYPE_CHECKING:
    pass


_DATETIME = TypeAdapter(datetime)


@dataclass(frozen=True)
class ExportEndpointRecords(Records):
    def put_export_endpoint(self, endpoint: ExportEndpoint) -> None:
        key = account_key(endpoint.account_id)
        self.table.put_item(Item=to_item(endpoint, key, f"ENDPOINT#{endpoint.id}"))

    def replace_export_endpoint(self, endpoint: ExportEndpoint, read_at: datetime) -> bool:
        """Save a changed endpoint unless it changed (or went) since it was read as of read_at: a change
        that raced another (a rotated secret, a deletion) must not undo it. False when it did."""
        key = account_key(endpoint.account_id)
        # Compared as stored: in the JSON form of the record's datetimes.
        unchanged = Attr("updated_at").eq(_DATETIME.dump_python(read_at, mode="json"))
        return put(self.table, to_item(endpoint, key, f"ENDPOINT#{endpoint.id}"), unchanged)

    def get_export_endpoint(self, account_id: int, endpoint_id: str) -> ExportEndpoint | None:
        item = self._get(account_key(account_id), f"ENDPOINT#{endpoint_id}")
        return ExportEndpoint.model_validate(item) if item else None

    def export_endpoints_by_key(
        self, keys: Iterable[EndpointKey]
    ) -> dict[EndpointKey, ExportEndpoint | None]:
        """Each of these endpoints (None for one that does not exist), with one read per hundred."""
        wanted = list(dict.fromkeys(keys))
        items = self._get_many(
            [{"pk": account_key(account), "sk": f"ENDPOINT#{name}"} for account, name in wanted]
        )
        found = {
            (endpoint.account_id, endpoint.id): endpoint
            for endpoint in map(ExportEndpoint.model_validate, items)
        }
        return {key: found.get(key) for key in wanted}

    def export_endpoints(self, account_id: int) -> list[ExportEndpoint]:
        """Every endpoint of the account, in one query: what the owner saved applies to the next activity."""
        items = self._query(account_key(account_id), "ENDPOINT#")
        return [ExportEndpoint.model_validate(item) for item in items]

    def delete_export_endpoint(self, account_id: int, endpoint_id: str) -> bool:
        key = {"pk": account_key(account_id), "sk": f"ENDPOINT#{endpoint_id}"}
        return "Attributes" in self.table.delete_item(Key=key, ReturnValues="ALL_OLD")

    # inbound webhooks


def export_endpoint_records() -> ExportEndpointRecords:
    return ExportEndpointRecords(aws().data_table)
