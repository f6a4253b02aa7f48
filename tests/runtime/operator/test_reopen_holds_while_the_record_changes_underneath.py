"""``reopen`` (``retry``, ``reprocess``) takes a file off its open run's counts exactly once
even when the record function writes the record between ``reopen``'s read and its write (it
counts the file, or joins it to a run), and when DynamoDB cancels the transaction for a
conflict: it reads the record again and writes what it then finds. A file no longer failed is
left alone; a reported run keeps its counts."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime.arrival.s3_events import ObjectRef
from batch_pipeline_construct.runtime.operator.file_records import (
    REOPEN_ATTEMPTS,
    RETRYABLE_STATES,
    record_key_of,
    reopen,
)
from batch_pipeline_construct.runtime.records import schema
from batch_pipeline_construct.runtime.records.query import RecordsTable
from tests.runtime.records_support import create_records_table, put_run_item
from tests.support import AwsFaults, Call, Outcome, first_calls

RUN = "20261125T070000Z-abc123"
REF = ObjectRef(bucket="pipeline-input", key="a.csv", version_id="v1")
STATES = tuple(state.value for state in RETRYABLE_STATES)


@pytest.fixture
def table() -> RecordsTable:
    made = create_records_table()
    return RecordsTable(boto3.client("dynamodb"), made.name)


def key() -> dict[str, Any]:
    record_key = record_key_of(REF)
    assert record_key is not None
    return {schema.PARTITION_KEY: {"S": record_key}}


def put_record(table: RecordsTable, state: str, *, run: bool = True, counted: bool) -> None:
    item: dict[str, Any] = {**key(), schema.STATE: {"S": state}}
    if run:
        item[schema.RUN_ID] = {"S": RUN}
    if counted:
        item[schema.RUN_COUNTED] = {"BOOL": True}
    table.client.put_item(TableName=table.name, Item=item)


def put_run(table: RecordsTable, files: int, finished: int, failed: int, **extra: float) -> None:
    put_run_item(
        table,
        RUN,
        {
            schema.RUN_FILES: files,
            schema.RUN_FINISHED: finished,
            schema.RUN_FAILED: failed,
            schema.RUN_SUCCEEDED: finished - failed,
            **extra,
        },
    )


def run_counts(table: RecordsTable) -> tuple[int, int, int]:
    item = table.client.get_item(
        TableName=table.name, Key={schema.PARTITION_KEY: {"S": schema.run_key(RUN)}}
    )["Item"]
    return tuple(  # type: ignore[return-value]
        int(item[name]["N"]) for name in (schema.RUN_FILES, schema.RUN_FINISHED, schema.RUN_FAILED)
    )


def record_exists(table: RecordsTable) -> bool:
    return "Item" in table.client.get_item(TableName=table.name, Key=key(), ConsistentRead=True)


def once_before(write: Any) -> Any:
    """A fault that lets the first matching call through after ``write`` ran (the record
    function's write landing between ``reopen``'s read and its own), and does nothing later."""

    def fault(seen: int, _call: Call) -> Outcome | None:
        if seen == 0:
            write()
        return None

    return fault


def test_a_file_counted_between_the_read_and_the_write_leaves_the_run_once(
    table: RecordsTable,
) -> None:
    # The run has three files, two finished; a.csv failed and is not counted yet when read.
    put_run(table, files=3, finished=2, failed=0)
    put_record(table, "failed", counted=False)
    writer = boto3.client("dynamodb")  # the record function, not routed through the faults

    def count_it() -> None:
        put_record(RecordsTable(writer, table.name), "failed", counted=True)
        writer.update_item(
            TableName=table.name,
            Key={schema.PARTITION_KEY: {"S": schema.run_key(RUN)}},
            UpdateExpression="ADD #finished :one, #failed :one",
            ExpressionAttributeNames={
                "#finished": schema.RUN_FINISHED,
                "#failed": schema.RUN_FAILED,
            },
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    faults = AwsFaults().install(table.client)
    faults.add("dynamodb.TransactWriteItems", once_before(count_it))

    assert reopen(table, REF, states=STATES, now=0) is True

    assert not record_exists(table)
    assert run_counts(table) == (2, 2, 0)  # a.csv off files, finished and failed, once


def test_a_file_that_joins_a_run_between_the_read_and_the_delete_leaves_it(
    table: RecordsTable,
) -> None:
    put_run(table, files=1, finished=0, failed=0)
    put_record(table, "failed", run=False, counted=False)
    writer = boto3.client("dynamodb")

    def join_run() -> None:
        put_record(RecordsTable(writer, table.name), "failed", counted=False)
        writer.update_item(
            TableName=table.name,
            Key={schema.PARTITION_KEY: {"S": schema.run_key(RUN)}},
            UpdateExpression="ADD #files :one",
            ExpressionAttributeNames={"#files": schema.RUN_FILES},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    faults = AwsFaults().install(table.client)
    faults.add("dynamodb.DeleteItem", once_before(join_run))

    assert reopen(table, REF, states=STATES, now=0) is True

    assert not record_exists(table)
    assert run_counts(table) == (1, 0, 0)  # joined (+1), then taken off (-1)


def test_a_transaction_conflict_is_tried_again(table: RecordsTable) -> None:
    put_run(table, files=3, finished=3, failed=1)
    put_record(table, "failed", counted=True)
    faults = AwsFaults().install(table.client)
    faults.add(
        "dynamodb.TransactWriteItems",
        first_calls(2, Outcome.reject("TransactionCanceledException", 400)),
    )

    assert reopen(table, REF, states=STATES, now=0) is True

    assert faults.count("dynamodb.TransactWriteItems") == 3
    assert not record_exists(table)
    assert run_counts(table) == (2, 2, 0)


def test_a_record_that_keeps_conflicting_is_left_as_it_is(table: RecordsTable) -> None:
    put_run(table, files=3, finished=3, failed=1)
    put_record(table, "failed", counted=True)
    faults = AwsFaults().install(table.client)
    faults.add(
        "dynamodb.TransactWriteItems",
        first_calls(99, Outcome.reject("TransactionCanceledException", 400)),
    )

    assert reopen(table, REF, states=STATES, now=0) is False

    assert faults.count("dynamodb.GetItem") == REOPEN_ATTEMPTS
    assert record_exists(table)
    assert run_counts(table) == (3, 3, 1)


def test_a_file_no_longer_failed_is_left_alone_at_once(table: RecordsTable) -> None:
    put_run(table, files=3, finished=3, failed=0)
    put_record(table, "succeeded", counted=True)
    faults = AwsFaults().install(table.client)

    assert reopen(table, REF, states=STATES, now=0) is False

    assert faults.count("dynamodb.GetItem") == 1  # refused for its state: not read again
    assert record_exists(table)
    assert run_counts(table) == (3, 3, 0)


def test_a_reported_run_keeps_its_counts(table: RecordsTable) -> None:
    put_run(table, files=3, finished=3, failed=1, **{schema.RUN_REPORTED_AT: 1})
    put_record(table, "failed", counted=True)

    assert reopen(table, REF, states=STATES, now=0) is True

    assert not record_exists(table)
    assert run_counts(table) == (3, 3, 1)
