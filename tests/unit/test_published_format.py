"""The body POSTed to export endpoints: an activity in the platform's published format."""

from datetime import UTC, datetime, timedelta, timezone

from mailhooks.models import ActivityKind, SendingType
from mailhooks.outbound.activity import ActivityRecord


def test_an_activity_is_published_with_integer_kinds_and_a_utc_timestamp_to_the_microsecond() -> None:
    at = datetime(2026, 11, 23, 11, 2, 41, 377000, tzinfo=timezone(timedelta(hours=1)))
    record = ActivityRecord(
        account_id=12,
        action_id=345,
        type_id=SendingType.CAMPAIGN,
        activity_id=ActivityKind.OPEN,
        email="ana@example.com",
        occurred_at=at,
    )

    assert record.published() == {
        "account_id": 12,
        "action_id": 345,
        "type_id": 1,
        "activity_id": int(ActivityKind.OPEN),
        "email": "ana@example.com",
        "timestamp": "2026-11-23 10:02:41.377000",
    }


def test_only_a_click_carries_its_url() -> None:
    def published(kind: ActivityKind) -> dict[str, object]:
        return ActivityRecord(
            account_id=12,
            action_id=345,
            type_id=SendingType.CAMPAIGN,
            activity_id=kind,
            email="ana@example.com",
            url="https://shop.example/offer" if kind == ActivityKind.CLICK else None,
            occurred_at=datetime.now(UTC),
        ).published()

    assert published(ActivityKind.CLICK)["url"] == "https://shop.example/offer"
    assert "url" not in published(ActivityKind.OPEN)
