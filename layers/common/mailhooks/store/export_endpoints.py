"""Export endpoints, in the data table, under their account; and the links that confirm their owner emails."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from boto3.dynamodb.conditions import Attr

from mailhooks.aws import aws
from mailhooks.json_form import stamp
from mailhooks.models import ExportEndpoint
from mailhooks.store.items import Item, Records, put, to_item
from mailhooks.store.keys import EndpointKey, account_key


def _confirmation_key(token: str) -> Item:
    # By the token's hash: whoever reads the table cannot confirm an address with what is stored.
    return {"pk": f"OWNER_EMAIL#{hashlib.sha256(token.encode()).hexdigest()}", "sk": "OWNER_EMAIL"}


def endpoint_item_key(key: EndpointKey) -> Item:
    """The key of an endpoint's item."""
    account, name = key
    return {"pk": account_key(account), "sk": f"ENDPOINT#{name}"}


@dataclass(frozen=True)
class OwnerEmailConfirmation:
    """What a confirmation link of an owner email stands for: that address, for that endpoint, until then."""

    account_id: int
    endpoint_id: str
    email: str
    expires_at: datetime


@dataclass(frozen=True)
class ExportEndpointRecords(Records):
    def put_export_endpoint(self, endpoint: ExportEndpoint) -> None:
        key = account_key(endpoint.account_id)
        self.table.put_item(Item=to_item(endpoint, key, f"ENDPOINT#{endpoint.id}"))

    def replace_export_endpoint(self, endpoint: ExportEndpoint, read_at: datetime) -> bool:
        """Save a changed endpoint unless it changed (or went) since it was read as of read_at: a change
        that raced another (a rotated secret, a deletion) must not undo it. False when it did."""
        key = account_key(endpoint.account_id)
        unchanged = Attr("updated_at").eq(stamp(read_at))
        return put(self.table, to_item(endpoint, key, f"ENDPOINT#{endpoint.id}"), unchanged)

    def get_export_endpoint(self, account_id: int, endpoint_id: str) -> ExportEndpoint | None:
        item = self._get(account_key(account_id), f"ENDPOINT#{endpoint_id}")
        return ExportEndpoint.of(item) if item else None

    def export_endpoints(self, account_id: int) -> list[ExportEndpoint]:
        """Every endpoint of the account, in one query: what the owner saved applies to the next activity."""
        items = self._query(account_key(account_id), "ENDPOINT#")
        return [ExportEndpoint.of(item) for item in items]

    def delete_export_endpoint(self, account_id: int, endpoint_id: str) -> bool:
        key = {"pk": account_key(account_id), "sk": f"ENDPOINT#{endpoint_id}"}
        return "Attributes" in self.table.delete_item(Key=key, ReturnValues="ALL_OLD")

    def put_owner_email_confirmation(self, token: str, confirmation: OwnerEmailConfirmation) -> None:
        self.table.put_item(
            Item={
                **_confirmation_key(token),
                "account_id": confirmation.account_id,
                "endpoint_id": confirmation.endpoint_id,
                "email": confirmation.email,
                # In epoch seconds: DynamoDB's TTL deletes it in its own time, and until then it is refused.
                "expires_at": int(confirmation.expires_at.timestamp()),
            }
        )

    def owner_email_confirmation(self, token: str, at: datetime) -> OwnerEmailConfirmation | None:
        """What the link stands for; None when it is unknown, used or expired at `at`."""
        key = _confirmation_key(token)
        item = self._get(key["pk"], key["sk"])
        if item is None or item["expires_at"] <= at.timestamp():
            return None
        expires_at = datetime.fromtimestamp(item["expires_at"], at.tzinfo)
        return OwnerEmailConfirmation(item["account_id"], item["endpoint_id"], item["email"], expires_at)

    def confirm_owner_email(self, token: str, confirmation: OwnerEmailConfirmation, at: datetime) -> bool:
        """Mark the endpoint's owner email confirmed and use the link up, both or neither; False when the
        link is used or expired, or the endpoint's owner email is no longer the address it confirms. The
        change is a change of the endpoint (updated_at): an owner's change read before it cannot undo it."""
        confirm: Item = {
            "TableName": self.table.name,
            "Key": {"pk": account_key(confirmation.account_id), "sk": f"ENDPOINT#{confirmation.endpoint_id}"},
            "UpdateExpression": "SET owner_email_confirmed = :yes, updated_at = :at",
            "ConditionExpression": "owner_email = :email",
            "ExpressionAttributeValues": {":yes": True, ":at": stamp(at), ":email": confirmation.email},
        }
        use_up: Item = {
            "TableName": self.table.name,
            "Key": _confirmation_key(token),
            "ConditionExpression": "expires_at > :now",
            "ExpressionAttributeValues": {":now": int(at.timestamp())},
        }
        return self._transact([{"Update": confirm}, {"Delete": use_up}])


def export_endpoint_records() -> ExportEndpointRecords:
    return ExportEndpointRecords(aws().data_table)
