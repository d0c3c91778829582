"""bench/replay.py's stand-in for AWS: each call answered as moto answered its kind of call when recorded, in
turn, without moto; a kind of call not recorded answered by moto, and counted."""

import os
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.settings import settings


def test_a_replay_answers_each_kind_of_call_as_recorded_in_turn(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importing bench sets the benchmarks' log level and metrics namespace in the environment: here only
    # for this test, not for every test this process runs after it (those that read the functions' logs).
    for name in ("POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_NAMESPACE"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    from bench.replay import recorded, replaying

    table = settings().data_table
    key: dict[str, Any] = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    with recorded() as recording:
        client = boto3.client("dynamodb")
        with recording.recording():
            missing = client.get_item(TableName=table, Key=key)
            client.put_item(TableName=table, Item={**key, "n": {"N": "1"}})
            found = client.get_item(TableName=table, Key=key)
        client.delete_item(TableName=table, Key=key)

        with replaying(recording):
            replayed = [client.get_item(TableName=table, Key=key) for _ in range(4)]
            # Not recorded: answered by moto, where the item is gone.
            queried = client.query(
                TableName=table,
                KeyConditionExpression="pk = :a",
                ExpressionAttributeValues={":a": {"S": "a"}},
            )

    assert [answer.get("Item") for answer in replayed] == [None, found["Item"]] * 2
    assert "Item" not in missing
    assert queried["Items"] == []
    assert (recording.recorded, recording.replayed, recording.answered_by_moto) == (3, 4, 1)
