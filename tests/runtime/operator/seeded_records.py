"""A run in the file-records table as the arrival and record functions leave it, written fast
(BatchWriteItem), for the operator commands that read it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from batch_pipeline_construct.runtime import settings
from batch_pipeline_construct.runtime.records import schema
from batch_pipeline_construct.runtime.records.query import RecordsTable
from tests.runtime.records_support import create_records_table
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline

RECORDS_TABLE = "file-records"
RUN = "20261124T220000Z-0a1b2c"
STARTED = 1_790_000_000.0
LOG_GROUP = "/aws/batch/lab-pipeline"


def use_records_table(pipeline: Pipeline) -> RecordsTable:
    """The pipeline's file-records table as the construct creates it (key, TTL, both indexes)."""
    table = create_records_table(RECORDS_TABLE)
    pipeline.configure(**{settings.FILE_RECORDS_TABLE: RECORDS_TABLE})
    return table


@dataclass(frozen=True)
class SeededRun:
    """What was written: every key, and the failed ones."""

    keys: list[str]
    failed: list[str]


def put_file_record(
    table: RecordsTable, key: str, version: str, state: str, **attributes: dict[str, str]
) -> None:
    """One file's record, in ``state``, for object version ``version`` of ``key``, with any
    further ``attributes`` (schema name -> DynamoDB value)."""
    partition_key = schema.record_key(INPUT_BUCKET, key, version_id=version)
    assert partition_key is not None
    table.client.put_item(
        TableName=table.name,
        Item={
            schema.PARTITION_KEY: {"S": partition_key},
            schema.CLAIM_STATUS: {"S": schema.CLAIM_SUBMITTED},
            schema.BUCKET: {"S": INPUT_BUCKET},
            schema.OBJECT_KEY: {"S": key},
            schema.VERSION_ID: {"S": version},
            schema.STATE: {"S": state},
            **attributes,
        },
    )


def key_of(number: int) -> str:
    """The input key of file ``number``."""
    return f"raw/sample-{number:05d}.csv"


def seed_run(
    table: RecordsTable,
    *,
    files: int,
    failed: Collection[int],
    running: Collection[int] = (),
    waiting: Collection[int] = (),
    run_id: str = RUN,
    now: float = STARTED + 600,
) -> SeededRun:
    """Run ``run_id`` of ``files`` files: ``failed`` failed (exit 2), ``running`` running,
    ``waiting`` submitted and waiting for compute, the others succeeded."""
    items: list[dict[str, Any]] = []
    for number in range(files):
        key = key_of(number)
        if number in failed:
            state, extra = (
                schema.FileState.FAILED,
                {
                    schema.EXIT_CODE: {"N": "2"},
                    schema.STATUS_REASON: {"S": f"ValueError: bad row {number}"},
                    schema.LOG_GROUP: {"S": LOG_GROUP},
                    schema.LOG_STREAM: {"S": f"default/job/{number:05d}"},
                    schema.FINISHED_AT: {"N": str(now - 10)},
                },
            )
        elif number in running:
            state, extra = schema.FileState.RUNNING, {}
        elif number in waiting:
            state, extra = schema.FileState.SUBMITTED, {}
        else:
            state, extra = (
                schema.FileState.SUCCEEDED,
                {
                    schema.EXIT_CODE: {"N": "0"},
                    schema.FINISHED_AT: {"N": str(now - 10)},
                },
            )
        partition_key = schema.record_key(INPUT_BUCKET, key, version_id=f"v{number}")
        assert partition_key is not None
        items.append(
            {
                schema.PARTITION_KEY: {"S": partition_key},
                schema.CLAIM_STATUS: {"S": schema.CLAIM_SUBMITTED},
                schema.CLAIM_TOKEN: {"S": "token"},
                schema.LEASE_UNTIL: {"N": "0"},
                schema.TTL_ATTRIBUTE: {"N": str(10**10)},
                schema.BUCKET: {"S": INPUT_BUCKET},
                schema.OBJECT_KEY: {"S": key},
                schema.VERSION_ID: {"S": f"v{number}"},
                schema.RECEIVED_AT: {"N": str(STARTED + number * 0.01)},
                schema.SUBMITTED_AT: {"N": str(STARTED + number * 0.01 + 1)},
                schema.JOB_ID: {"S": f"job-{number}"},
                schema.JOB_NAME: {"S": f"file-{number}"},
                schema.STATE: {"S": state.value},
                schema.RUN_ID: {"S": run_id},
                **extra,
            }
        )
    finished = files - len(running) - len(waiting)
    items.append(
        {
            schema.PARTITION_KEY: {"S": schema.run_key(run_id)},
            schema.RUN_FILES: {"N": str(files)},
            schema.RUN_FINISHED: {"N": str(finished)},
            schema.RUN_SUCCEEDED: {"N": str(finished - len(failed))},
            schema.RUN_FAILED: {"N": str(len(failed))},
            schema.RUN_FIRST_SEEN: {"N": str(STARTED)},
            schema.RUN_LAST_SEEN: {"N": str(STARTED + files * 0.01)},
        }
    )
    items.append(
        {
            schema.PARTITION_KEY: {"S": schema.CURRENT_RUN_KEY},
            schema.RUN_CURRENT_ID: {"S": run_id},
        }
    )
    for start in range(0, len(items), 25):
        table.client.batch_write_item(
            RequestItems={
                table.name: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            }
        )
    return SeededRun(
        keys=[key_of(n) for n in range(files)], failed=[key_of(n) for n in sorted(failed)]
    )
