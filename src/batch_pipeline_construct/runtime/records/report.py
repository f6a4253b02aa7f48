"""A finished run's report (every file, in the output bucket) and its one summary message.

The report is a CSV file at ``s3://OUTPUT_BUCKET/_runs/<run id>/report.csv`` (under
:data:`RUN_REPORT_PREFIX`, which no job writes and no trigger watches), one row per file::

    key,version_id,state,exit_code,reason,log,output,job_id,array_index,attempts,submitted_at,finished_at

The summary is published to the completion topic as a JSON object with ``"kind":
"run-summary"`` (also a ``kind`` message attribute, for subscription filter policies)::

    {"kind": "run-summary", "runId": "20261124T220000Z-0a1b2c", "files": 10000,
     "succeeded": 9963, "failed": 37, "counts": {"succeeded": 9963, "failed": 37, ...},
     "failedFiles": [{"key": "...", "exitCode": 2, "reason": "...", "log": "https://..."}],
     "failedFilesOmitted": 0, "report": "s3://.../_runs/20261124T220000Z-0a1b2c/report.csv",
     "firstSeen": "2026-11-24T22:00:00Z", "lastFinished": "2026-11-24T23:10:41Z",
     "arrayJobs": [{"jobId": "3f2a...", "files": 2400, "succeeded": 2398, "failed": 2,
                    "manifest": "s3://.../_manifests/ID.json",
                    "outcomes": "s3://.../_manifests/ID/outcomes/"}]}

``arrayJobs`` (bulk mode) counts the files of each array job of the run, and says where its
children's per-file outcomes are. Those counts are here, not in the array job's own ``"job"``
message: that message is made by an EventBridge input transformer from the parent's event,
which knows no file's outcome, whereas the run summary is written from the per-file record,
where every file has its own outcome (:mod:`.outcomes`) by the time the run is finished.

At most :data:`MAX_LISTED_FAILURES` failed files are listed in the message (SNS messages are
limited to 256 KB); ``failedFilesOmitted`` says how many more the report lists.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..job.manifest import outcomes_folder
from .model import FileRecord, RunRecord
from .schema import FileState

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

__all__ = [
    "MAX_LISTED_FAILURES",
    "REPORT_COLUMNS",
    "RUN_REPORT_PREFIX",
    "RUN_SUMMARY_KIND",
    "array_jobs",
    "publish_run",
    "report_csv",
    "report_key",
    "summary_message",
]

RUN_REPORT_PREFIX = "_runs/"
"""Where in the output bucket run reports go."""
RUN_SUMMARY_KIND = "run-summary"
"""The ``kind`` of a run's summary on the completion topic."""
MAX_LISTED_FAILURES = 50
"""Failed files listed in a summary message; the report lists them all."""
REPORT_COLUMNS = (
    "key",
    "version_id",
    "state",
    "exit_code",
    "reason",
    "log",
    "output",
    "job_id",
    "array_index",
    "attempts",
    "submitted_at",
    "finished_at",
)
"""The report's columns."""


def report_key(run_id: str) -> str:
    """The report's key in the output bucket."""
    return f"{RUN_REPORT_PREFIX}{run_id}/report.csv"


def report_csv(files: Sequence[FileRecord], region: str) -> str:
    """The report: a header and one row per file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for record in files:
        writer.writerow(
            [
                record.key,
                record.version_id or "",
                record.state.value,
                "" if record.exit_code is None else record.exit_code,
                record.status_reason or "",
                record.log_url(region) or "",
                record.output_uri or "",
                record.job_id or "",
                "" if record.array_index is None else record.array_index,
                "" if record.attempts is None else record.attempts,
                _iso(record.submitted_at),
                _iso(record.finished_at),
            ]
        )
    return buffer.getvalue()


def summary_message(
    run: RunRecord, files: Sequence[FileRecord], report_uri: str, region: str
) -> dict[str, Any]:
    """The run's summary (see the module documentation)."""
    counts = {state.value: 0 for state in FileState}
    for record in files:
        counts[record.state.value] += 1
    failed = [record for record in files if record.state is not FileState.SUCCEEDED]
    finished = [record.finished_at for record in files if record.finished_at is not None]
    return {
        "kind": RUN_SUMMARY_KIND,
        "runId": run.run_id,
        "files": len(files),
        "succeeded": counts[FileState.SUCCEEDED.value],
        "failed": len(failed),
        "counts": counts,
        "failedFiles": [
            {
                "key": record.key,
                "state": record.state.value,
                "exitCode": record.exit_code,
                "reason": record.status_reason,
                "log": record.log_url(region),
            }
            for record in failed[:MAX_LISTED_FAILURES]
        ],
        "failedFilesOmitted": max(0, len(failed) - MAX_LISTED_FAILURES),
        "report": report_uri,
        "firstSeen": _iso(run.first_seen),
        "lastFinished": _iso(max(finished, default=None)),
        "arrayJobs": array_jobs(files),
    }


def array_jobs(files: Sequence[FileRecord]) -> list[dict[str, Any]]:
    """Each array job's files, how many succeeded and failed, and where their outcomes are."""
    jobs: dict[str, dict[str, Any]] = {}
    for record in files:
        job_id = record.array_job_id
        if job_id is None:
            continue
        job = jobs.setdefault(
            job_id,
            {
                "jobId": job_id,
                "files": 0,
                "succeeded": 0,
                "failed": 0,
                "manifest": record.manifest_uri,
                "outcomes": None
                if record.manifest_uri is None
                else outcomes_folder(record.manifest_uri),
            },
        )
        job["files"] += 1
        job["succeeded" if record.state is FileState.SUCCEEDED else "failed"] += 1
    return sorted(jobs.values(), key=lambda job: str(job["jobId"]))


def publish_run(
    run: RunRecord,
    files: Sequence[FileRecord],
    *,
    s3: S3Client,
    sns: SNSClient,
    output_bucket: str,
    topic_arn: str,
    region: str,
) -> str:
    """Write the run's report and publish its summary; return the report's URI."""
    key = report_key(run.run_id)
    s3.put_object(
        Bucket=output_bucket,
        Key=key,
        Body=report_csv(files, region).encode(),
        ContentType="text/csv",
    )
    uri = f"s3://{output_bucket}/{key}"
    message = summary_message(run, files, uri, region)
    sns.publish(
        TopicArn=topic_arn,
        Subject=f"Run {run.run_id}: {message['files']} files, {message['failed']} failed"[:100],
        Message=json.dumps(message),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": RUN_SUMMARY_KIND}},
    )
    return uri


def _iso(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
