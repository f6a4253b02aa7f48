"""What the completion topic carries: JSON objects told apart by a top-level ``"kind"``.

``"job"``
    one job that SUCCEEDED or FAILED (fields below), published by the pipeline's completion rules.
``"run-summary"``
    one run's summary: its files' counts, the failed files, the report, and for each array job
    its files' counts and where their per-file outcomes are (``arrayJobs``).
``"cost-guard"``
    the cost guard stopped or resumed the arrival queue.

CloudWatch alarm notifications sent to the same topic keep AWS's own format (they carry
``"AlarmName"`` and no ``"kind"``). Subscription filter policies can select on ``kind`` and, for
job messages, ``status``.
"""

from __future__ import annotations

__all__ = [
    "COST_GUARD",
    "JOB",
    "JOB_MESSAGE_FIELDS",
    "JOB_TYPES",
    "KIND",
    "RUN_SUMMARY",
    "STATUS",
]

KIND = "kind"
"""The top-level field every message the pipeline publishes has."""
JOB = "job"
"""``kind`` of a job's SUCCEEDED or FAILED message."""
RUN_SUMMARY = "run-summary"
"""``kind`` of a run's summary."""
COST_GUARD = "cost-guard"
"""``kind`` of a cost-guard notice."""
STATUS = "status"
"""The field of a job message with its final status, ``SUCCEEDED`` or ``FAILED``."""

JOB_TYPES = {
    "file": "a per-file job: inputUri and outputUri name its file",
    "array": "a bulk-mode array job (the parent): manifestUri and arraySize; how many of its "
    "files succeeded and failed is in the run summary's arrayJobs",
    "array-child": "one child of a bulk-mode array job: entry arrayIndex of manifestUri",
}
"""The values of a job message's ``jobType``, and what each names."""

JOB_MESSAGE_FIELDS = {
    KIND: 'always "job"',
    "jobType": "file, array or array-child (see JOB_TYPES)",
    STATUS: "SUCCEEDED or FAILED",
    "statusReason": "Batch's reason for the status (string), or null when the event has none",
    "exitCode": "the container's exit code (number), or null when no container exit was "
    "recorded (a job that failed before it started, an array parent)",
    "logGroup": "the CloudWatch Logs group every job of the pipeline writes to",
    "logStreamName": "the job's log stream in logGroup (its last attempt's), or an empty string "
    "when it has none (a job that never started a container, an array parent)",
    "jobId": "the Batch job ID",
    "jobName": "the Batch job name",
    "jobQueue": "the job queue's ARN",
    "inputUri": "s3:// URI of the input file (file jobs), else null",
    "outputUri": "s3:// URI of the output prefix (file jobs), else null",
    "manifestUri": "s3:// URI of the manifest (array and array-child jobs), else null",
    "arrayIndex": "the child's index in the manifest (array-child jobs), else null",
    "arraySize": "how many children the array job has (array jobs), else null",
    "time": "when the job reached the status (ISO 8601, the event's time)",
}
"""Every field of a ``"job"`` message, in order, with what it holds. All are always present."""
