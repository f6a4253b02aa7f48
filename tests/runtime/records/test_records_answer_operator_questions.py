"""The query API answers the operator's questions from the file-records table: counts by state,
the oldest waiting file, a run's pace and ETA, its failed files with reason, exit code and log."""

from __future__ import annotations

from typing import Any

import pytest

from batch_pipeline_construct.runtime.records import query, schema
from batch_pipeline_construct.runtime.records.query import RecordsTable
from batch_pipeline_construct.runtime.records.schema import FileState
from tests.runtime.records_support import create_records_table, put_claim, put_run_item

RUN = "20261124T220000Z-0a1b2c"


@pytest.fixture
def table() -> RecordsTable:
    return create_records_table()


def set_fields(table: RecordsTable, partition_key: str, **fields: Any) -> None:
    names = {f"#{name}": name for name in fields}
    values = {
        f":{name}": {"N": str(value)} if isinstance(value, (int, float)) else {"S": value}
        for name, value in fields.items()
    }
    table.client.update_item(
        TableName=table.name,
        Key={schema.PARTITION_KEY: {"S": partition_key}},
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in fields),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def put_run(
    table: RecordsTable, run_id: str, *, files: int, finished: int, first_seen: float
) -> None:
    put_run_item(
        table,
        run_id,
        {
            schema.RUN_FILES: files,
            schema.RUN_FINISHED: finished,
            schema.RUN_FIRST_SEEN: first_seen,
            schema.RUN_LAST_SEEN: first_seen,
        },
    )
    table.client.put_item(
        TableName=table.name,
        Item={
            schema.PARTITION_KEY: {"S": schema.CURRENT_RUN_KEY},
            schema.RUN_CURRENT_ID: {"S": run_id},
        },
    )


def file_in_run(table: RecordsTable, key: str, state: FileState, **fields: Any) -> str:
    partition_key = put_claim(table, key, submitted_job=f"job-{key}")
    set_fields(table, partition_key, **{schema.STATE: state.value, schema.RUN_ID: RUN}, **fields)
    return partition_key


def test_counts_by_state_follow_the_claim_until_an_event_sets_the_state(
    table: RecordsTable,
) -> None:
    put_claim(table, "claimed.csv")
    put_claim(table, "submitted.csv", submitted_job="job-1")
    file_in_run(table, "running.csv", FileState.RUNNING)
    file_in_run(table, "done.csv", FileState.SUCCEEDED)
    put_run(table, RUN, files=2, finished=1, first_seen=1000.0)

    counts = query.counts_by_state(table)

    assert counts == {
        FileState.RECEIVED: 1,
        FileState.SUBMITTED: 1,
        FileState.RUNNING: 1,
        FileState.SUCCEEDED: 1,
        FileState.FAILED: 0,
        FileState.DEAD_LETTERED: 0,
    }
    assert query.counts_by_state(table, run_id=RUN)[FileState.RUNNING] == 1
    assert sum(query.counts_by_state(table, run_id=RUN).values()) == 2


def test_the_oldest_waiting_file_is_the_earliest_received_one(table: RecordsTable) -> None:
    put_claim(table, "late.csv", received_at=2000.0)
    put_claim(table, "early.csv", submitted_job="job-early", received_at=1000.0)
    file_in_run(table, "old-but-running.csv", FileState.RUNNING, **{schema.RECEIVED_AT: 10.0})

    oldest = query.oldest_waiting(table)

    assert oldest is not None and oldest.key == "early.csv"
    assert oldest.state is FileState.SUBMITTED


def test_nothing_waits_in_an_empty_table(table: RecordsTable) -> None:
    assert query.oldest_waiting(table) is None
    assert query.current_run(table) is None
    assert query.list_runs(table) == []


def test_failed_files_carry_reason_exit_code_and_a_log_link(table: RecordsTable) -> None:
    file_in_run(
        table,
        "bad/input 1.csv",
        FileState.FAILED,
        **{
            schema.EXIT_CODE: 2,
            schema.STATUS_REASON: "Essential container in task exited",
            schema.LOG_GROUP: "/aws/batch/job",
            schema.LOG_STREAM: "pipeline/default/abc123",
        },
    )
    file_in_run(table, "good.csv", FileState.SUCCEEDED)

    failed = query.failed_files(table, RUN)

    assert [record.key for record in failed] == ["bad/input 1.csv"]
    record = failed[0]
    assert (record.exit_code, record.status_reason) == (2, "Essential container in task exited")
    assert record.input_uri == "s3://pipeline-input/bad/input 1.csv"
    assert record.log_url("eu-west-1") == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Fjob"
        "/log-events/pipeline$252Fdefault$252Fabc123"
    )
    assert query.failed_keys(table, RUN) == ["bad/input 1.csv"]


def test_a_run_without_a_log_has_no_log_link(table: RecordsTable) -> None:
    file_in_run(table, "never-started.csv", FileState.FAILED)

    assert query.failed_files(table, RUN)[0].log_url("us-east-1") is None


def test_progress_gives_pace_and_eta_from_the_run_start(table: RecordsTable) -> None:
    for index in range(3):
        file_in_run(table, f"done-{index}.csv", FileState.SUCCEEDED)
    file_in_run(table, "failed.csv", FileState.FAILED)
    for index in range(4):
        file_in_run(table, f"waiting-{index}.csv", FileState.SUBMITTED)
    put_run(table, RUN, files=8, finished=4, first_seen=1000.0)

    progress = query.run_progress(table, RUN, now=1000.0 + 120)

    assert progress.counts[FileState.SUCCEEDED] == 3
    assert progress.files_per_minute == pytest.approx(2.0)
    assert progress.eta_seconds == pytest.approx(120.0)
    assert query.current_run(table) == progress.run
    assert [run.run_id for run in query.list_runs(table)] == [RUN]


def test_progress_before_any_file_finished_has_no_eta(table: RecordsTable) -> None:
    file_in_run(table, "waiting.csv", FileState.SUBMITTED)
    put_run(table, RUN, files=1, finished=0, first_seen=1000.0)

    progress = query.run_progress(table, RUN, now=1100.0)

    assert (progress.files_per_minute, progress.eta_seconds) == (None, None)


def test_progress_of_an_unknown_run_is_a_key_error(table: RecordsTable) -> None:
    with pytest.raises(KeyError):
        query.run_progress(table, "no-such-run")
