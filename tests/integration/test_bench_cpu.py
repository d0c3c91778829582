"""bench/cpu.py's stand-in for AWS: calls answered as moto answered them when recorded, without moto; and a
call that was not recorded refused, not sent."""

import os
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.settings import settings


def test_a_replay_answers_each_call_as_recorded_in_turn_and_refuses_another(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importing bench sets the benchmarks' log level and metrics namespace in the environment: here only
    # for this test, not for every test this process runs after it (those that read the functions' logs).
    for name in ("POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_NAMESPACE"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    from bench.cpu import NotRecorded, recorded, replaying

    table = settings().data_table
    with recorded() as recording:
        client = boto3.client("dynamodb")
        key: dict[str, Any] = {"pk": {"S": "a"}, "sk": {"S": "b"}}
        with recording.recording():
            missing = client.get_item(TableName=table, Key=key)
            client.put_item(TableName=table, Item={**key, "n": {"N": "1"}})
            found = client.get_item(TableName=table, Key=key)
        client.delete_item(TableName=table, Key=key)

        with replaying(recording):
            replayed = [client.get_item(TableName=table, Key=key) for _ in range(4)]
            with pytest.raises(NotRecorded):
                client.query(
                    TableName=table,
                    KeyConditionExpression="pk = :a",
                    ExpressionAttributeValues={":a": {"S": "a"}},
                )

    assert [answer.get("Item") for answer in replayed] == [None, found["Item"]] * 2
    assert "Item" not in missing
