"""The record function: keeps every file's record and reports each run once it is finished.

The function (handler ``runtime.records.handler.handler``) is fed by its own SQS queue, which
receives this job queue's ``Batch Job State Change`` events from an EventBridge rule, and its
own delayed ``close-run`` messages. For each event it updates the records of the job's files
(:mod:`.writer`; a packed array child's files from their own outcomes, :mod:`.outcomes`), puts each file in a run and counts its outcome there (:mod:`.runs`); when a
run is finished it writes the run's report and publishes its summary (:mod:`.report`). A run
whose files are all final but whose quiet gap has not passed yet gets a ``close-run`` message
delayed until then.

Events that are not job state changes are logged and acknowledged; any other failure returns
the message as a batch item failure, so SQS delivers it again (every step is idempotent).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from .. import clients
from ..logs import log
from .config import RecordSettings
from .events import NotAJobEvent, job_event
from .model import FileRecord, RunRecord, file_record
from .outcomes import ChildOutcomeReader
from .query import RecordsTable, files_of_run
from .report import publish_run
from .runs import RunBook, Wait
from .schema import FINAL_STATES, PARTITION_KEY, state_of_item
from .writer import Applied, RecordWriter

__all__ = ["CLOSE_RUN_KIND", "MAX_DELAY_SECONDS", "close_run_message", "handle", "handler"]

CLOSE_RUN_KIND = "close-run"
"""The ``kind`` of the function's own message that asks it to check a run again."""
MAX_DELAY_SECONDS = 900
"""The longest SQS delays a message; a longer wait takes several."""


def close_run_message(run_id: str) -> str:
    """The body of a message that asks the record function to check run ``run_id`` again."""
    return json.dumps({"kind": CLOSE_RUN_KIND, "runId": run_id})


def handler(event: Mapping[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """The Lambda entry point: apply an SQS batch of events and report the messages that failed."""
    return handle(event)


def handle(
    event: Mapping[str, Any], *, clock: Callable[[], float] = time.time
) -> dict[str, list[dict[str, str]]]:
    """:func:`handler`, with the clock replaceable."""
    settings = RecordSettings.from_environ()
    dynamodb = clients.dynamodb()
    writer = RecordWriter(
        dynamodb,
        settings.table,
        output_bucket=settings.output_bucket,
        output_root_prefix=settings.output_root_prefix,
        retention_seconds=settings.retention_seconds,
        log_group=settings.job_log_group,
        outcomes=ChildOutcomeReader(clients.s3()),
        clock=clock,
    )
    runs = RunBook(
        dynamodb,
        settings.table,
        quiet_seconds=settings.quiet_seconds,
        retention_seconds=settings.retention_seconds,
        clock=clock,
    )
    failures: list[str] = []
    to_settle: dict[str, list[str]] = {}
    applied: list[tuple[str, Applied]] = []
    for record in event.get("Records", []):
        message_id: str = record["messageId"]
        try:
            message = _read_message(record["body"], writer)
        except NotAJobEvent as error:
            log("ignored", level="WARNING", message_id=message_id, reason=str(error))
            continue
        except Exception as error:  # one message's failure must not lose the others
            log("record-error", level="ERROR", message_id=message_id, reason=repr(error))
            failures.append(message_id)
            continue
        if isinstance(message, str):
            to_settle.setdefault(message, []).append(message_id)
        else:
            applied += [(message_id, change) for change in message if change.item]
    try:
        runs_of = runs.reconcile([change.item for _, change in applied])
    except Exception as error:  # the events come back and are reconciled again
        log("run-error", level="ERROR", reason=repr(error))
        failures += [message_id for message_id, _ in applied]
        runs_of = {}
    for message_id, change in applied:
        run_id = runs_of.get(change.record_key)
        if run_id is not None and state_of_item(change.item) in FINAL_STATES:
            to_settle.setdefault(run_id, []).append(message_id)
    for run_id, message_ids in to_settle.items():
        try:
            _settle(run_id, runs, settings)
        except Exception as error:  # the messages come back and the run is checked again
            log("run-error", level="ERROR", run_id=run_id, reason=repr(error))
            failures += message_ids
    unique = list(dict.fromkeys(failures))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in unique]}


def _read_message(body: str, writer: RecordWriter) -> str | list[Applied]:
    """A close-run message's run ID, or what a job event changed in the records."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise NotAJobEvent(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise NotAJobEvent("not a JSON object")
    if document.get("kind") == CLOSE_RUN_KIND:
        return str(document["runId"])
    event = job_event(document)
    changes = writer.apply(event)
    for change in changes:
        log(
            "record" if change.changed else "record-unchanged",
            record=change.record_key,
            job_id=event.job_id,
            batch_status=event.status,
            state=state_of_item(change.item) if change.item else None,
        )
    return changes


def _settle(run_id: str, runs: RunBook, settings: RecordSettings) -> None:
    """Report run ``run_id`` if it is finished, or check it again once its quiet gap is over."""
    claim = runs.claim_report(run_id)
    if isinstance(claim, Wait):
        if settings.queue_url is not None:
            clients.sqs().send_message(
                QueueUrl=settings.queue_url,
                MessageBody=close_run_message(run_id),
                DelaySeconds=min(MAX_DELAY_SECONDS, math.ceil(claim.seconds) + 1),
            )
        return
    if claim is None:
        return
    report_uri = _report(claim, settings)
    runs.mark_reported(run_id, report_uri)
    log("run-reported", run_id=run_id, files=claim.files, failed=claim.failed, report=report_uri)


def _report(run: RunRecord, settings: RecordSettings) -> str:
    dynamodb = clients.dynamodb()
    table = RecordsTable(dynamodb, settings.table)
    files = [_fresh(table, record) for record in files_of_run(table, run.run_id)]
    return publish_run(
        run,
        files,
        s3=clients.s3(),
        sns=clients.sns(),
        output_bucket=settings.output_bucket,
        topic_arn=settings.completion_topic_arn,
        region=dynamodb.meta.region_name,
    )


def _fresh(table: RecordsTable, record: FileRecord) -> FileRecord:
    """``record``, read again from the table when the index may not show its final state yet."""
    if record.state in FINAL_STATES:
        return record
    item = table.client.get_item(
        TableName=table.name,
        Key={PARTITION_KEY: {"S": record.record_key}},
        ConsistentRead=True,
    ).get("Item")
    return record if item is None else file_record(item)
