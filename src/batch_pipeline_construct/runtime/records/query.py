"""Questions the operator commands ask of the file-records table.

Every function takes a :class:`RecordsTable` (a DynamoDB client and the table's name) and reads
with low-level calls only: a run's files through the :data:`.schema.RUN_INDEX` index, the whole
table (one paginated scan) for questions about every file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import schema
from .model import FileRecord, RunRecord, file_record, run_record
from .schema import FINAL_STATES, FileState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "WAITING_STATES",
    "RecordsTable",
    "RunProgress",
    "counts_by_state",
    "current_run",
    "failed_files",
    "failed_keys",
    "file_records",
    "files_of_run",
    "get_run",
    "list_runs",
    "oldest_waiting",
    "progress_of",
    "run_progress",
]

WAITING_STATES = frozenset({FileState.RECEIVED, FileState.SUBMITTED})
"""States of a file that waits for compute."""


@dataclass(frozen=True)
class RecordsTable:
    """The file-records table of one pipeline."""

    client: DynamoDBClient
    """A DynamoDB client in the table's Region."""
    name: str
    """The table's name (the arrival function's ``FILE_RECORDS_TABLE``)."""


@dataclass(frozen=True)
class RunProgress:
    """How far a run is, how fast it goes and when it should be done."""

    run: RunRecord
    """The run."""
    counts: dict[FileState, int]
    """Its files by state (every state, zero included)."""
    files_per_minute: float | None
    """Files finished per minute since the run started; None before the first finished."""
    eta_seconds: float | None
    """Seconds until every file that joined so far is finished, at that pace; 0 when done."""


def file_records(table: RecordsTable) -> Iterator[FileRecord]:
    """Every file record in the table (one scan; run items are left out)."""
    for item in _scan(table):
        if not schema.is_run_key(item[schema.PARTITION_KEY]["S"]):
            yield file_record(item)


def files_of_run(table: RecordsTable, run_id: str) -> list[FileRecord]:
    """The files of run ``run_id``, ordered by input key."""
    pages = table.client.get_paginator("query").paginate(
        TableName=table.name,
        IndexName=schema.RUN_INDEX,
        KeyConditionExpression="#run = :run",
        ExpressionAttributeNames={"#run": schema.RUN_ID},
        ExpressionAttributeValues={":run": {"S": run_id}},
    )
    records = [file_record(item) for page in pages for item in page.get("Items", [])]
    return sorted(records, key=lambda record: (record.key, record.record_key))


def counts_by_state(table: RecordsTable, *, run_id: str | None = None) -> dict[FileState, int]:
    """How many files are in each state: of run ``run_id``, or of the whole table."""
    records = file_records(table) if run_id is None else iter(files_of_run(table, run_id))
    counts = dict.fromkeys(FileState, 0)
    for record in records:
        counts[record.state] += 1
    return counts


def oldest_waiting(table: RecordsTable, *, run_id: str | None = None) -> FileRecord | None:
    """The file that has waited longest for compute (received or submitted), if any waits."""
    records = file_records(table) if run_id is None else iter(files_of_run(table, run_id))
    waiting = [
        record
        for record in records
        if record.state in WAITING_STATES and record.waiting_since is not None
    ]
    return min(waiting, key=lambda record: record.waiting_since or 0.0, default=None)


def failed_files(table: RecordsTable, run_id: str) -> list[FileRecord]:
    """The files of run ``run_id`` that failed, with reason, exit code and log, by key."""
    return [record for record in files_of_run(table, run_id) if record.state is FileState.FAILED]


def failed_keys(table: RecordsTable, run_id: str) -> list[str]:
    """The input keys of run ``run_id``'s failed files, sorted."""
    return [record.key for record in failed_files(table, run_id)]


def get_run(table: RecordsTable, run_id: str) -> RunRecord | None:
    """Run ``run_id``, or None when there is no such run."""
    item = table.client.get_item(
        TableName=table.name,
        Key={schema.PARTITION_KEY: {"S": schema.run_key(run_id)}},
        ConsistentRead=True,
    ).get("Item")
    return None if item is None else run_record(item)


def current_run(table: RecordsTable) -> RunRecord | None:
    """The latest run (the one new files join while it is open), or None before any."""
    pointer = table.client.get_item(
        TableName=table.name,
        Key={schema.PARTITION_KEY: {"S": schema.CURRENT_RUN_KEY}},
        ConsistentRead=True,
    ).get("Item")
    if pointer is None:
        return None
    return get_run(table, pointer[schema.RUN_CURRENT_ID]["S"])


def list_runs(table: RecordsTable) -> list[RunRecord]:
    """Every run in the table, newest first."""
    runs = [
        run_record(item)
        for item in _scan(
            table,
            FilterExpression="begins_with(#pk, :prefix) AND #pk <> :current",
            ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
            ExpressionAttributeValues={
                ":prefix": {"S": schema.RUN_KEY_PREFIX},
                ":current": {"S": schema.CURRENT_RUN_KEY},
            },
        )
    ]
    return sorted(runs, key=lambda run: (run.first_seen, run.run_id), reverse=True)


def run_progress(table: RecordsTable, run_id: str, *, now: float | None = None) -> RunProgress:
    """Counts, pace and ETA of run ``run_id``; raises ``KeyError`` when there is no such run."""
    run = get_run(table, run_id)
    if run is None:
        raise KeyError(run_id)
    return progress_of(run, counts_by_state(table, run_id=run_id), now=now)


def progress_of(
    run: RunRecord, counts: dict[FileState, int], *, now: float | None = None
) -> RunProgress:
    """Pace and ETA of ``run``, whose files are ``counts`` by state."""
    finished = sum(counts[state] for state in FINAL_STATES)
    elapsed = (time.time() if now is None else now) - run.first_seen
    if finished == 0 or elapsed <= 0:
        return RunProgress(run, counts, None, None)
    per_second = finished / elapsed
    remaining = sum(counts.values()) - finished
    return RunProgress(run, counts, per_second * 60, remaining / per_second)


def _scan(table: RecordsTable, **filters: Any) -> Iterator[dict[str, Any]]:
    pages = table.client.get_paginator("scan").paginate(TableName=table.name, **filters)
    for page in pages:
        yield from page.get("Items", [])
