"""The key layout of every table, in one place; the store's modules build their keys here.

The data table holds the platform's records. Keys, by access path:
- account                ACCOUNT#<id>      / ACCOUNT
- API key of an account  ACCOUNT#<id>      / APIKEY#<key id>;  found by its hash: APIKEY#<sha256> / APIKEY
- list, template,        ACCOUNT#<id>      / LIST#<id>, TEMPLATE#<id>, CAMPAIGN#<id> (ids zero-padded so
  campaign of an account                     they sort), INBOUND#<id> (points to the webhook's token),
                                             ENDPOINT#<id> (an export endpoint)
- subscriber of a list   LIST#<id>         / SUBSCRIBER#<email>
- pending confirmation   CONFIRM#<token>   / CONFIRM      (points to the subscriber)
- unsubscribe link       UNSUBSCRIBE#<token> / UNSUBSCRIBE (points to the subscriber)
- owner email            OWNER_EMAIL#<sha256 of the token> / OWNER_EMAIL (points to the export endpoint;
  confirmation             expires; store.export_endpoints)
- campaign recipient     CAMPAIGN#<id>     / SENT#<email> (claimed before its email is sent: once each)
- A/B campaign reaction  CAMPAIGN#<id>     / OPENS#<email>, CLICKS#<email> (a recipient's open or click,
                                             counted once on its variant; expires with the claims)
- inbound webhook        INBOUND#<token>   / INBOUND  (the inbound call finds it with one read)
- its call log           CALLS#<webhook id> / <time>#<random>  (expires after 30 days)
- id counters            COUNTER           / <kind>
- sending domain         ACCOUNT#<id>      / DOMAIN#<domain>;  claimed, one account each: DOMAIN#<domain> /
                                             DOMAIN (store.sending_domains)
- sends in an hour       ACCOUNT#<id>      / SENT#<email or sms>#<hour, UTC> (expires the next day;
                                             store.sending_quota)

The activity table holds one item per activity, keyed by its id (store.activity).

The delivery table (the account in every key keeps accounts apart):
- delivery               ACCOUNT#<account id>#DELIVERY#<webhook id> / DELIVERY (store.delivery_log)
- index by_endpoint_status, on the delivery items: endpoint_status = ACCOUNT#<account id>#ENDPOINT#<endpoint
  id>#<status>, status_at = when the delivery last changed, in fixed-width UTC (sorts as it reads); and on
  the health items of failing endpoints: HEALTH#failing
- an endpoint's health, throttle and parked deliveries, in its own partition
  ACCOUNT#<account id>#ENDPOINT#<endpoint id> / HEALTH, INFLIGHT, SECOND#<epoch second>
  (store.endpoint_health), PARKED#<when, fixed-width UTC>#<token> (store.parking)
- index oldest_parked, on the parked batches alone: parking_lot = PARKED, parked_since = when the batch was
  parked, in fixed-width UTC (the batches parked longest, whatever their endpoint, from the key alone)
"""

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailhooks.models import ExportEndpoint

# (account id, endpoint id)
EndpointKey = tuple[int, str]

_SORTABLE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_ENDPOINT_PARTITION = re.compile(r"ACCOUNT#(\d+)#ENDPOINT#(.+)")


def account_key(account_id: int) -> str:
    return f"ACCOUNT#{account_id}"


def padded(prefix: str, number: int) -> str:
    return f"{prefix}#{number:012d}"


def subscriber_key(list_id: int, email: str) -> dict[str, str]:
    return {"pk": f"LIST#{list_id}", "sk": f"SUBSCRIBER#{email.lower()}"}


def webhook_key(token: str) -> dict[str, str]:
    return {"pk": f"INBOUND#{token}", "sk": "INBOUND"}


def sortable(at: datetime) -> str:
    """A time in fixed-width UTC, which sorts as it reads: the index's sort key."""
    return at.astimezone(UTC).strftime(_SORTABLE_FORMAT)


def from_sortable(text: str) -> datetime:
    return datetime.strptime(text, _SORTABLE_FORMAT).replace(tzinfo=UTC)


def delivery_partition(account_id: int, webhook_id: str) -> str:
    return f"ACCOUNT#{account_id}#DELIVERY#{webhook_id}"


def endpoint_partition(key: EndpointKey) -> str:
    return f"ACCOUNT#{key[0]}#ENDPOINT#{key[1]}"


def endpoint_status(key: EndpointKey, status: str) -> str:
    return f"{endpoint_partition(key)}#{status}"


def endpoint_key(partition: str) -> EndpointKey:
    found = _ENDPOINT_PARTITION.fullmatch(partition)
    assert found is not None, partition
    return int(found[1]), found[2]


def key_of(endpoint: "ExportEndpoint") -> EndpointKey:
    return endpoint.account_id, endpoint.id
