"""moto's DynamoDB transactions, queries and items, as devstack.moto_dynamodb makes them cost: they answer as
DynamoDB does, a cancelled transaction included."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType

from devstack import moto_fixes
from devstack.template import REGION

moto_fixes.apply()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A table of partitions (pk) and items (sk), with a stream and an index on "by"."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        attributes = [("pk", "HASH"), ("sk", "RANGE")]
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in attributes],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "by")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_by",
                    "KeySchema": [{"AttributeName": "by", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def _item(pk: str, sk: str, **more: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{name: {"S": value} for name, value in more.items()}}


def _records(streams: Any, iterator: str) -> tuple[list[str], str]:
    answer = streams.get_records(ShardIterator=iterator)
    names = [record["dynamodb"]["Keys"]["sk"]["S"] for record in answer["Records"]]
    return names, answer["NextShardIterator"]


def test_a_cancelled_transaction_leaves_the_items_and_the_stream_as_they_were(dynamodb: Any) -> None:
    dynamodb.put_item(TableName="t", Item=_item("a", "1", note="before"))
    stream_arn = dynamodb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="LATEST")
    _, iterator = _records(streams, iterator["ShardIterator"])

    update = {
        "TableName": "t",
        "Key": _item("a", "1"),
        "UpdateExpression": "SET note = :after",
        "ExpressionAttributeValues": {":after": {"S": "after"}},
    }
    missing = {"TableName": "t", "Key": _item("b", "1"), "ConditionExpression": "attribute_exists(pk)"}
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": _item("a", "2")}},
                {"Update": update},
                {"ConditionCheck": missing},
            ]
        )
    with pytest.raises(ClientError, match="ValidationException"):  # one item twice
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": _item("a", "4")}},
                {"Update": update},
                {"Update": update},
            ]
        )

    items = dynamodb.scan(TableName="t")["Items"]
    assert items == [_item("a", "1", note="before")]
    dynamodb.put_item(TableName="t", Item=_item("a", "3"))
    # The stream has no record of the cancelled writes, and an iterator taken before still reads on.
    assert _records(streams, iterator)[0] == ["3"]


def test_a_transaction_that_passes_writes_every_item(dynamodb: Any) -> None:
    dynamodb.put_item(TableName="t", Item=_item("a", "1", note="before"))
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": _item("a", "2")}},
            {
                "Update": {
                    "TableName": "t",
                    "Key": _item("a", "1"),
                    "UpdateExpression": "SET note = :after",
                    "ConditionExpression": "note = :before",
                    "ExpressionAttributeValues": {":after": {"S": "after"}, ":before": {"S": "before"}},
                }
            },
        ]
    )
    items = dynamodb.scan(TableName="t")["Items"]
    assert items == [_item("a", "1", note="after"), _item("a", "2")]


def test_a_query_answers_its_partition_or_its_index_in_order_page_by_page(dynamodb: Any) -> None:
    for pk, sk, by in [("b", "2", "x"), ("a", "9", "x"), ("b", "1", "y"), ("c", "1", "x"), ("b", "3", "x")]:
        dynamodb.put_item(TableName="t", Item=_item(pk, sk, by=by))

    def query(**options: Any) -> list[tuple[str, str]]:
        found, page = [], {}
        while True:
            answer = dynamodb.query(TableName="t", Limit=2, **options, **page)
            found += [(item["pk"]["S"], item["sk"]["S"]) for item in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                return found
            page = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}

    partition = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "b"}}}
    assert query(**partition) == [("b", "1"), ("b", "2"), ("b", "3")]
    assert query(**partition, ScanIndexForward=False) == [("b", "3"), ("b", "2"), ("b", "1")]
    nothing = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "z"}}}
    assert query(**nothing) == []
    index = {
        "IndexName": "by_by",
        "KeyConditionExpression": "#by = :by",
        "ExpressionAttributeNames": {"#by": "by"},
        "ExpressionAttributeValues": {":by": {"S": "x"}},
    }
    # moto's order, as it answered before: the index has no sort key, and moto sorts by the table's
    assert query(**index) == [("c", "1"), ("b", "2"), ("b", "3"), ("a", "9")]


def test_an_item_of_every_type_is_answered_as_it_was_written(dynamodb: Any) -> None:
    item = {
        **_item("a", "1", note="text"),
        "count": {"N": "12.5"},
        "flags": {"BOOL": False},
        "nothing": {"NULL": True},
        "tags": {"SS": ["x", "y"]},
        "sizes": {"NS": ["1", "2"]},
        "blob": {"B": b"\x00\xffbinary"},
        "blobs": {"BS": [b"one", b"two"]},
        "nested": {
            "M": {"list": {"L": [{"S": "in a list"}, {"M": {"deep": {"B": b"deeper"}}}]}, "empty": {"M": {}}}
        },
    }
    dynamodb.put_item(TableName="t", Item=item)

    answered = dynamodb.get_item(TableName="t", Key=_item("a", "1"))["Item"]
    updated = dynamodb.update_item(
        TableName="t",
        Key=_item("a", "1"),
        UpdateExpression="SET note = :note",
        ExpressionAttributeValues={":note": {"S": "changed"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]

    assert answered == item
    assert updated == {**item, "note": {"S": "changed"}}


def test_an_item_over_the_size_limit_is_refused_and_one_under_it_written(dynamodb: Any) -> None:
    # moto's limit, 405,000 bytes: the attributes' names and values, nested ones too.
    under = {**_item("a", "1"), "parts": {"L": [{"S": "x" * 1000}] * 400}}
    over = {**_item("a", "2"), "parts": {"L": [{"S": "x" * 1000}] * 400}, "more": {"S": "x" * 5000}}

    dynamodb.put_item(TableName="t", Item=under)
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(TableName="t", Item=over)

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "maximum allowed size" in refused.value.response["Error"]["Message"]
    assert dynamodb.get_item(TableName="t", Key=_item("a", "1"))["Item"] == under
    assert "Item" not in dynamodb.get_item(TableName="t", Key=_item("a", "2"))


def test_a_written_item_has_each_attribute_sized_once(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sized = Counter[str]()
    size = DynamoType.size

    def counted(value: DynamoType) -> int:
        sized[str(value.value)] += 1
        return size(value)

    monkeypatch.setattr(DynamoType, "size", counted)
    dynamodb.put_item(TableName="t", Item=_item("a", "1", **{f"name{n}": f"value{n}" for n in range(50)}))

    # The key's values twice: moto checks the key's size on its own as well.
    assert sized == Counter(["a", "a", "1", "1", *(f"value{n}" for n in range(50))])


def test_updates_of_every_clause_change_the_item_as_dynamodb_does(dynamodb: Any) -> None:
    def update(expression: str, **values: Any) -> dict[str, Any]:
        answer = dynamodb.update_item(
            TableName="t",
            Key=_item("u", "1"),
            UpdateExpression=expression,
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={f":{name}": value for name, value in values.items()},
            ReturnValues="ALL_NEW",
        )
        return dict(answer["Attributes"])

    # Twice each: the second parses nothing anew, and must do the same.
    for _ in range(2):
        dynamodb.delete_item(TableName="t", Key=_item("u", "1"))
        created = update("SET #count = if_not_exists(#count, :zero) + :one", zero={"N": "0"}, one={"N": "1"})
        assert created == {**_item("u", "1"), "count": {"N": "1"}}
        added = update(
            "ADD #count :two, tags :tags SET notes = list_append(if_not_exists(notes, :none), :note)",
            two={"N": "2"},
            tags={"SS": ["a"]},
            none={"L": []},
            note={"L": [{"S": "first"}]},
        )
        assert added == {
            **_item("u", "1"),
            "count": {"N": "3"},
            "tags": {"SS": ["a"]},
            "notes": {"L": [{"S": "first"}]},
        }
        removed = update("REMOVE notes[0], tags SET #count = #count - :one", one={"N": "1"})
        assert removed == {**_item("u", "1"), "count": {"N": "2"}, "notes": {"L": []}}
        with pytest.raises(ClientError, match="ValidationException"):
            update("SET #count = :one, #count = :one", one={"N": "1"})
