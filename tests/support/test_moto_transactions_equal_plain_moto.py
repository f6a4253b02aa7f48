"""Moto's transactions with item snapshots (:func:`item_snapshot_transactions`) do what plain
moto's do: the same transactions through real boto3 clients leave identical tables and streams,
and fail with identical errors and cancellation reasons, step by step; and they copy no table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from tests.support.moto_transactions import item_snapshot_transactions

FILES = "files"
"""A table with a partition key and a stream (both images)."""
PAIRS = "pairs"
"""A table with a partition and a sort key."""


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _file(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}}


def _pair(pk: str, sk: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def _put(table: str, item: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table, "Item": item}
    if condition is not None:
        put |= {"ConditionExpression": condition, "ExpressionAttributeNames": {"#pk": "pk"}}
    return {"Put": put}


def _update(table: str, key: dict[str, Any], expression: str, **more: Any) -> dict[str, Any]:
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": expression, **more}}


def _check(table: str, key: dict[str, Any], condition: str, **more: Any) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": key,
            "ConditionExpression": condition,
            **more,
        }
    }


def _delete(table: str, key: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"Delete": {"TableName": table, "Key": key, **more}}


ONE = {":one": {"N": "1"}}
STEPS: list[list[dict[str, Any]]] = [
    # 1. succeeds: puts in both tables, an update that creates its item
    [
        _put(FILES, {**_file("a"), "n": {"N": "1"}, "tag": {"S": "x"}}),
        _put(FILES, {**_file("b"), "n": {"N": "5"}}),
        _put(PAIRS, {**_pair("p", 1), "v": {"S": "one"}}),
        _put(PAIRS, {**_pair("p", 2), "v": {"S": "two"}}),
        _update(FILES, _file("c"), "SET n = :one", ExpressionAttributeValues=ONE),
    ],
    # 2. the 2nd of 3 fails its condition, returning the item (ALL_OLD): the 1st is undone
    [
        _update(FILES, _file("a"), "ADD n :one", ExpressionAttributeValues=ONE),
        _check(
            FILES,
            _file("b"),
            "n = :one",
            ExpressionAttributeValues=ONE,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
        _delete(FILES, _file("c")),
    ],
    # 3. two operations on one item: ValidationException, nothing written
    [
        _update(FILES, _file("a"), "ADD n :one", ExpressionAttributeValues=ONE),
        _delete(FILES, _file("a")),
    ],
    # 4. succeeds: every kind of operation, in both tables
    [
        _update(FILES, _file("a"), "ADD n :one REMOVE tag", ExpressionAttributeValues=ONE),
        _check(FILES, _file("b"), "attribute_exists(pk)"),
        _delete(FILES, _file("c")),
        _put(FILES, _file("d"), "attribute_not_exists(#pk)"),
        _update(PAIRS, _pair("p", 1), "SET v = :v", ExpressionAttributeValues={":v": {"S": "1"}}),
        _delete(PAIRS, _pair("p", 2)),
        _put(PAIRS, {**_pair("q", 7), "v": {"S": "seven"}}),
    ],
    # 5. the last fails (no ALL_OLD): a new item, a replaced one and a deleted one come back
    [
        _put(FILES, {**_file("e"), "n": {"N": "9"}}),
        _put(FILES, {**_file("a"), "n": {"N": "100"}}),
        _delete(FILES, _file("b")),
        _update(PAIRS, _pair("new", 1), "SET v = :v", ExpressionAttributeValues={":v": {"S": "n"}}),
        _delete(PAIRS, _pair("q", 7)),
        _put(PAIRS, _pair("p", 1), "attribute_not_exists(#pk)"),
    ],
    # 6. several fail: a missing item's condition, and an existing one with ALL_OLD
    [
        _check(FILES, _file("missing"), "attribute_exists(pk)"),
        _update(
            FILES,
            _file("d"),
            "SET n = :one",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues=ONE,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
        _put(FILES, _file("f")),
    ],
    # 7. an update moto rejects (arithmetic on a string) after writes: ValidationException
    [
        _put(FILES, _file("g")),
        _delete(FILES, _file("d")),
        _update(PAIRS, _pair("p", 1), "SET v = v + :one", ExpressionAttributeValues=ONE),
    ],
    # 8. succeeds after all the failures
    [
        _update(FILES, _file("b"), "ADD n :one", ExpressionAttributeValues=ONE),
        _delete(PAIRS, _pair("p", 1)),
    ],
    # 9. an item without its key (moto's own path, copies and all): cancelled, nothing written
    [
        _put(FILES, {**_file("b"), "n": {"N": "0"}}),
        _put(PAIRS, {"pk": {"S": "no sort key"}}),
    ],
]


def _create_tables() -> None:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=FILES,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    client.create_table(
        TableName=PAIRS,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _outcome(items: Any) -> dict[str, Any]:
    try:
        boto3.client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as error:
        return {
            "code": error.response["Error"]["Code"],
            "message": error.response["Error"]["Message"],
            "reasons": error.response.get("CancellationReasons"),
        }
    return {"code": None}


def _contents() -> dict[str, Any]:
    client = boto3.client("dynamodb")
    tables = {
        name: sorted(
            (item for item in client.scan(TableName=name)["Items"]),
            key=lambda item: (item["pk"]["S"], item.get("sk", {}).get("N", "")),
        )
        for name in (FILES, PAIRS)
    }
    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[FILES].stream_shard
    assert shard is not None
    records = [
        (
            record.record["eventName"],
            record.record["dynamodb"]["Keys"],
            record.record["dynamodb"].get("OldImage"),
            record.record["dynamodb"].get("NewImage"),
        )
        for record in shard.items
    ]
    return {"tables": tables, "stream": records}


def _play(*, item_snapshots: bool) -> list[dict[str, Any]]:
    """Each step's error (or none) and the tables and stream after it."""
    observed: list[dict[str, Any]] = []
    with mock_aws():
        _create_tables()
        for step in STEPS:
            if item_snapshots:
                with item_snapshot_transactions():
                    outcome = _outcome(step)
            else:
                outcome = _outcome(step)
            observed.append({"outcome": outcome, **_contents()})
    return observed


@pytest.fixture
def plain() -> list[dict[str, Any]]:
    return _play(item_snapshots=False)


def test_every_step_leaves_what_plain_moto_leaves(plain: list[dict[str, Any]]) -> None:
    fast = _play(item_snapshots=True)

    for number, (expected, actual) in enumerate(zip(plain, fast, strict=True), start=1):
        assert actual == expected, f"step {number}"


def test_the_steps_cover_success_cancellation_and_validation(plain: list[dict[str, Any]]) -> None:
    codes = [step["outcome"]["code"] for step in plain]
    assert codes == [
        None,
        "TransactionCanceledException",
        "ValidationException",
        None,
        "TransactionCanceledException",
        "TransactionCanceledException",
        "ValidationException",
        None,
        "TransactionCanceledException",
    ]
    assert [reason["Code"] for reason in plain[1]["outcome"]["reasons"]] == [
        "None",
        "ConditionalCheckFailed",
        "None",
    ]
    assert plain[1]["outcome"]["reasons"][1]["Item"] == {**_file("b"), "n": {"N": "5"}}
    assert [reason["Code"] for reason in plain[5]["outcome"]["reasons"]] == [
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "None",
    ]
    for cancelled in (1, 2, 4, 5, 6, 8):  # nothing of a failed transaction stays
        assert plain[cancelled]["tables"] == plain[cancelled - 1]["tables"]
        assert plain[cancelled]["stream"] == plain[cancelled - 1]["stream"]


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        _create_tables()
        yield


@pytest.mark.usefixtures("moto")
@pytest.mark.parametrize("item_snapshots", [False, True])
def test_a_cancelled_transaction_copies_the_table_only_in_plain_moto(
    item_snapshots: bool,
) -> None:
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    before = backend.tables[FILES]
    cancelled = [_put(FILES, _file("x")), _check(FILES, _file("missing"), "attribute_exists(pk)")]

    if item_snapshots:
        with item_snapshot_transactions():
            outcome = _outcome(cancelled)
    else:
        outcome = _outcome(cancelled)

    assert outcome["code"] == "TransactionCanceledException"
    assert (backend.tables[FILES] is before) is item_snapshots


def test_moto_is_plain_again_afterwards() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    with item_snapshot_transactions():
        assert DynamoDBBackend.transact_write_items is not original
    assert DynamoDBBackend.transact_write_items is original
