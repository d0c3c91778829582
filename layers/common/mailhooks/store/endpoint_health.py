"""Export endpoints' health, in the delivery table: how each endpoint's receiver has been answering, its
circuit breaker, and its throttle.

Keys (in the endpoint's own partition; the account in the key keeps accounts apart):
- health              ACCOUNT#<account id>#ENDPOINT#<endpoint id> / HEALTH
  Its recent attempts are counted in time buckets, top-level attributes a_<bucket start> (attempts) and
  f_<bucket start> (failures, of those), which DynamoDB's ADD counts atomically however many deliveries
  report at once; a report removes the buckets that fell out of the window. While the endpoint fails, or its
  breaker is open, it is in the index by_endpoint_status too, under HEALTH#failing and sorted by when that
  began: the scheduled review reads only those endpoints.
- requests under way  same partition / INFLIGHT: a map of lease token -> when the lease runs out
- requests per second same partition / SECOND#<epoch second>: a count, which expires
None of these expire but the counts per second: health outlives the 30 days of the delivery log.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from mailhooks.aws import aws
from mailhooks.json_form import own_fields
from mailhooks.models import ExportEndpoint
from mailhooks.store.delivery_log import BY_ENDPOINT_STATUS
from mailhooks.store.export_endpoints import endpoint_item_key, export_endpoint_records
from mailhooks.store.items import condition_failed, get_across, get_many, plain, queried, update
from mailhooks.store.keys import EndpointKey, endpoint_key, endpoint_partition, key_of, sortable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# healthy: delivered to; open: its circuit breaker holds its messages back, unsent, until a probe succeeds;
# disabled: switched off for failing, until its owner switches it on again.
HealthState = Literal["healthy", "open", "disabled"]

_HEALTH = "HEALTH"
_INFLIGHT = "INFLIGHT"
_SECOND = "SECOND#"
_FAILING = "HEALTH#failing"
_BUCKET = re.compile(r"([af])_(\d+)")
# A count of one second is needed for that second only; TTL deletes it in its own time.
_SECOND_RETENTION = timedelta(minutes=10)
_TIMES = (
    "state_changed_at",
    "open_until",
    "probe_until",
    "failing_since",
    "warned_at",
    "parked_at",
    "last_attempt_at",
    "last_error_at",
)


@dataclass(frozen=True)
class EndpointHealth:
    state: HealthState = "healthy"
    # None while it has never changed.
    state_changed_at: datetime | None = None
    # While open: when the next probe may go.
    open_until: datetime | None = None
    # The lease of the probe under way.
    probe_until: datetime | None = None
    consecutive_failures: int = 0
    # When the current run of failures began (None while its last attempt succeeded), and when its owner
    # was warned of it.
    failing_since: datetime | None = None
    warned_at: datetime | None = None
    # When deliveries to it were last parked, while its breaker was open, and how many are parked; None and
    # 0 once they are all queued again.
    parked_at: datetime | None = None
    parked: int = 0
    disabled_reason: str | None = None
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    # Bucket start, in epoch seconds -> attempts, and failures of them.
    attempts: dict[int, int] = field(default_factory=dict)
    failures: dict[int, int] = field(default_factory=dict)

    def recent(self, since: datetime) -> tuple[int, int]:
        """The attempts in the buckets that start after `since`, and the failures among them."""
        start = since.timestamp()
        return (
            sum(count for bucket, count in self.attempts.items() if bucket > start),
            sum(count for bucket, count in self.failures.items() if bucket > start),
        )


def _health(item: dict[str, Any] | None) -> EndpointHealth:
    if not item:
        return EndpointHealth()
    counts: dict[str, dict[int, int]] = {"a": {}, "f": {}}
    for name, value in item.items():
        if bucket := _BUCKET.fullmatch(name):
            counts[bucket[1]][int(bucket[2])] = int(value)
    values = own_fields(EndpointHealth, plain(item), times=_TIMES)
    return EndpointHealth(**{**values, "attempts": counts["a"], "failures": counts["f"]})


def _key(key: EndpointKey, sort_key: str = _HEALTH) -> dict[str, str]:
    return {"pk": endpoint_partition(key), "sk": sort_key}


@dataclass(frozen=True)
class Report:
    """What one batch's POSTs to an endpoint came to."""

    attempts: int
    failures: int
    last_error: str | None


@dataclass(frozen=True)
class HealthRecords:
    table: "Table"

    def read(self, keys: Iterable[EndpointKey]) -> dict[EndpointKey, EndpointHealth]:
        """Each endpoint's health, strongly consistent, 100 to a read; one never reported on is healthy."""
        wanted = list(dict.fromkeys(keys))
        found = {
            endpoint_key(str(item["pk"])): _health(item)
            for item in get_many(self.table, [_key(key) for key in wanted])
        }
        return {key: found.get(key, EndpointHealth()) for key in wanted}

    def report(
        self, key: EndpointKey, at: datetime, report: Report, bucket_seconds: int, outdated: Iterable[int]
    ) -> EndpointHealth:
        """Count a batch's attempts in the bucket of `at` and drop the `outdated` buckets; a success ends the
        run of failures, a failure starts or lengthens it. The health as it now stands."""
        bucket = int(at.timestamp()) // bucket_seconds * bucket_seconds
        values: dict[str, Any] = {
            ":attempts": report.attempts,
            ":failures": report.failures,
            ":at": sortable(at),
        }
        adds = [f"a_{bucket} :attempts", f"f_{bucket} :failures"]
        sets = ["last_attempt_at = :at"]
        removes = [f"{kind}_{start}" for start in outdated if start != bucket for kind in "af"]
        if report.failures < report.attempts:
            sets.append("consecutive_failures = :zero")
            removes += ["failing_since", "warned_at", "endpoint_status", "status_at"]
            values[":zero"] = 0
        else:
            adds.append("consecutive_failures :failures")
            sets += [
                "failing_since = if_not_exists(failing_since, :at)",
                "endpoint_status = :failing",
                "status_at = if_not_exists(status_at, :at)",
            ]
            values[":failing"] = _FAILING
        if report.last_error is not None:
            sets += ["last_error = :error", "last_error_at = :at"]
            values[":error"] = report.last_error
        expression = f"ADD {', '.join(adds)} SET {', '.join(sets)}"
        if removes:
            expression += f" REMOVE {', '.join(removes)}"
        answer = self.table.update_item(
            Key=_key(key),
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return _health(answer["Attributes"])

    def open(self, key: EndpointKey, at: datetime, until: datetime) -> bool:
        """Open a healthy endpoint's breaker until `until`, or hold an open one back until then if that is
        later (giving back the lease of its probe). True when the breaker was closed before."""
        if update(
            self.table,
            _key(key),
            "SET #state = :open, state_changed_at = :at, open_until = :until, endpoint_status = :failing, "
            "status_at = if_not_exists(status_at, :at)",
            "attribute_not_exists(#state) OR #state = :healthy",
            open="open",
            healthy="healthy",
            failing=_FAILING,
            at=sortable(at),
            until=sortable(until),
        ):
            return True
        update(
            self.table,
            _key(key),
            "SET open_until = :until REMOVE probe_until",
            "#state = :open AND open_until < :until",
            open="open",
            until=sortable(until),
        )
        return False

    def claim_probe(self, key: EndpointKey, at: datetime, until: datetime) -> bool:
        """Take the lease of the one probe of an open endpoint whose wait is over; False when its wait is not
        over, or another probe holds the lease."""
        return update(
            self.table,
            _key(key),
            "SET probe_until = :until",
            "#state = :open AND open_until <= :at AND "
            "(attribute_not_exists(probe_until) OR probe_until < :at)",
            open="open",
            at=sortable(at),
            until=sortable(until),
        )

    def release_probe(self, key: EndpointKey) -> None:
        update(self.table, _key(key), "REMOVE probe_until")

    def count_parked(self, key: EndpointKey, count: int, at: datetime | None = None) -> None:
        """`count` more deliveries to the endpoint are parked (fewer, when negative), the last of them at
        `at`: once its breaker closes, the batches that read parked_at queue them again. Fewer are counted
        only while the endpoint has its health: a deleted endpoint's must not come back."""
        if at is None:
            update(self.table, _key(key), "ADD parked :count", "attribute_exists(pk)", count=count)
        else:
            update(
                self.table, _key(key), "ADD parked :count SET parked_at = :at", count=count, at=sortable(at)
            )

    def unparked(self, key: EndpointKey, parked_at: datetime) -> bool:
        """Every delivery parked up to `parked_at` is queued again; False when more were parked since, which
        the next batch queues."""
        return update(self.table, _key(key), "REMOVE parked_at", "parked_at = :at", at=sortable(parked_at))

    def close(self, key: EndpointKey, at: datetime, buckets: Iterable[int]) -> bool:
        """Close an open breaker: the window starts afresh, so that the failures that opened it do not open
        it again. False when it was not open."""
        counts = "".join(f", {kind}_{start}" for start in buckets for kind in "af")
        return update(
            self.table,
            _key(key),
            f"SET #state = :healthy, state_changed_at = :at REMOVE open_until, probe_until{counts}",
            "#state = :open",
            healthy="healthy",
            open="open",
            at=sortable(at),
        )

    def disable(self, key: EndpointKey, at: datetime, reason: str) -> bool:
        """Mark the endpoint disabled, out of the failing endpoints' index; False when it was already."""
        return update(
            self.table,
            _key(key),
            "SET #state = :disabled, state_changed_at = :at, disabled_reason = :reason "
            "REMOVE open_until, probe_until, endpoint_status, status_at",
            "attribute_not_exists(#state) OR #state <> :disabled",
            disabled="disabled",
            at=sortable(at),
            reason=reason,
        )

    def reset(self, key: EndpointKey, at: datetime) -> None:
        """Healthy, with nothing counted but its parked deliveries, which are still to be sent: its owner
        switched it on again."""
        earlier = self.table.get_item(Key=_key(key), ConsistentRead=True).get("Item", {})
        parked: dict[str, Any] = {name: earlier[name] for name in ("parked", "parked_at") if name in earlier}
        self.table.put_item(
            Item={**_key(key), "state": "healthy", "state_changed_at": sortable(at), **parked}
        )

    def forget(self, key: EndpointKey) -> None:
        """The endpoint is deleted."""
        for sort_key in (_HEALTH, _INFLIGHT):
            self.table.delete_item(Key=_key(key, sort_key))

    def claim_warning(self, key: EndpointKey, failing_since: datetime, at: datetime) -> bool:
        """Note that the owner is warned of the run of failures that began at failing_since; False when it
        was, or that run ended."""
        return update(
            self.table,
            _key(key),
            "SET warned_at = :at",
            "failing_since = :since AND attribute_not_exists(warned_at)",
            since=sortable(failing_since),
            at=sortable(at),
        )

    def release_warning(self, key: EndpointKey) -> None:
        """The warning could not be sent: the next review tries again."""
        update(self.table, _key(key), "REMOVE warned_at")

    def failing_since_before(self, cutoff: datetime) -> Iterator[tuple[EndpointKey, EndpointHealth]]:
        """The endpoints whose run of failures began, or whose breaker opened, at cutoff or before."""
        query: dict[str, Any] = {
            "IndexName": BY_ENDPOINT_STATUS,
            "KeyConditionExpression": "endpoint_status = :failing AND status_at <= :cutoff",
            "ExpressionAttributeValues": {":failing": _FAILING, ":cutoff": sortable(cutoff)},
        }
        for item in queried(self.table, query):
            yield endpoint_key(str(item["pk"])), _health(item)

    # the throttle

    def take_slot(self, key: EndpointKey, token: str, at: datetime, until: datetime, most: int) -> bool:
        """Lease one of the endpoint's `most` slots for requests at once, until `until`; False when all are
        leased. Leases that ran out (their invocation ended without giving them back) are cleared."""
        for _ in range(2):
            try:
                self.table.update_item(
                    Key=_key(key, _INFLIGHT),
                    UpdateExpression="SET leases.#token = :until",
                    ConditionExpression="attribute_exists(leases) AND size(leases) < :most",
                    ExpressionAttributeNames={"#token": token},
                    ExpressionAttributeValues={":until": sortable(until), ":most": most},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return True
            except ClientError as error:
                if not condition_failed(error):
                    raise
                leases = error.response.get("Item", {}).get("leases", {}).get("M")  # type: ignore[attr-defined]
            if leases is None:
                try:
                    self.table.put_item(
                        Item={**_key(key, _INFLIGHT), "leases": {token: sortable(until)}},
                        ConditionExpression="attribute_not_exists(pk)",
                    )
                    return True
                except ClientError as error:
                    if not condition_failed(error):
                        raise
                    continue
            expired = [name for name, lease in leases.items() if lease["S"] < sortable(at)]
            if not expired:
                return False
            self.table.update_item(
                Key=_key(key, _INFLIGHT),
                UpdateExpression="REMOVE "
                + ", ".join(f"leases.#gone{index}" for index in range(len(expired))),
                ExpressionAttributeNames={f"#gone{index}": name for index, name in enumerate(expired)},
            )
        return False

    def give_slot(self, key: EndpointKey, token: str) -> None:
        self.table.update_item(
            Key=_key(key, _INFLIGHT),
            UpdateExpression="REMOVE leases.#token",
            ExpressionAttributeNames={"#token": token},
        )

    def take_second(self, key: EndpointKey, at: datetime, most: int) -> bool:
        """Count one request in the second of `at`; False when `most` are counted already."""
        second = int(at.timestamp())
        return update(
            self.table,
            _key(key, f"{_SECOND}{second}"),
            "ADD #count :one SET expires_at = :expires",
            "attribute_not_exists(#count) OR #count < :most",
            one=1,
            most=most,
            expires=second + int(_SECOND_RETENTION.total_seconds()),
        )


def health_records() -> HealthRecords:
    return HealthRecords(aws().delivery_table)


def endpoints_with_health(
    keys: Iterable[EndpointKey],
) -> dict[EndpointKey, tuple[ExportEndpoint, EndpointHealth]]:
    """Each of these endpoints that exists, with its health (see HealthRecords.read): both read at once, one
    read per fifty endpoints."""
    wanted = list(dict.fromkeys(keys))
    endpoints, health = export_endpoint_records().table, health_records().table
    found = get_across(
        {endpoints: [endpoint_item_key(key) for key in wanted], health: [_key(key) for key in wanted]}
    )
    states = {endpoint_key(str(item["pk"])): _health(item) for item in found[health.name]}
    return {
        key_of(endpoint): (endpoint, states.get(key_of(endpoint), EndpointHealth()))
        for endpoint in (ExportEndpoint.of(plain(item)) for item in found[endpoints.name])
    }
