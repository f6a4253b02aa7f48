"""``Batch Job State Change`` events of every shape the pipeline's jobs produce.

Each starts from AWS's documented sample event (AWS Batch user guide, "Job state change events",
a RUNNABLE job; its ``detail`` "resembles the JobDetail object ... returned from a DescribeJobs
API operation") and sets the JobDetail fields the AWS Batch API reference documents for that
shape: ``statusReason``, ``container.exitCode`` and ``container.reason``, ``arrayProperties``
(``size`` and ``statusSummary`` on an array parent, ``index`` on a child) and the ``parameters``
the arrival function submits with (``runtime.job.contract`` for a file, ``manifestUri`` in bulk).
"""

from __future__ import annotations

import copy
from typing import Any

QUEUE_ARN = "arn:aws:batch:us-east-1:123456789012:job-queue/PipelineJobQueue"
OTHER_QUEUE_ARN = "arn:aws:batch:us-east-1:123456789012:job-queue/SomeoneElses"
INPUT_URI = "s3://lab-input/raw/report 2026.csv"
OUTPUT_URI = "s3://lab-output/raw/report 2026.csv/"
MANIFEST_URI = "s3://lab-output/_manifests/2026-11-24T10-00-00Z-3f2a9c.json"

AWS_SAMPLE_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "c8f9c4b5-76e5-d76a-f980-7011e206042b",
    "detail-type": "Batch Job State Change",
    "source": "aws.batch",
    "account": "123456789012",
    "time": "2022-01-11T23:36:40Z",
    "region": "us-east-1",
    "resources": ["arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8"],
    "detail": {
        "jobArn": "arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
        "jobName": "event-test",
        "jobId": "4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
        "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/PexjEHappyPathCanary2JobQueue",
        "status": "RUNNABLE",
        "attempts": [],
        "createdAt": 1641944200058,
        "retryStrategy": {"attempts": 2, "evaluateOnExit": []},
        "dependsOn": [],
        "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/first-run-job-definition:1",
        "parameters": {},
        "container": {
            "image": "137112412989.dkr.ecr.us-east-1.amazonaws.com/amazonlinux:latest",
            "command": ["sleep", "600"],
            "volumes": [],
            "environment": [],
            "mountPoints": [],
            "ulimits": [],
            "networkInterfaces": [],
            "resourceRequirements": [
                {"value": "2", "type": "VCPU"},
                {"value": "256", "type": "MEMORY"},
            ],
            "secrets": [],
        },
        "tags": {
            "resourceArn": "arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8"
        },
        "propagateTags": False,
        "platformCapabilities": [],
    },
}
"""AWS's sample event, as the AWS Batch user guide prints it."""

_FILE_PARAMETERS = {
    "inputBucket": "lab-input",
    "inputKey": "raw/report 2026.csv",
    "inputUri": INPUT_URI,
    "outputUri": OUTPUT_URI,
    "versionId": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
}


def _event(
    status: str,
    *,
    queue: str = QUEUE_ARN,
    status_reason: str | None = None,
    exit_code: int | None = None,
    container_reason: str | None = None,
    log_stream: str | None = None,
    parameters: dict[str, str] | None = None,
    array_properties: dict[str, Any] | None = None,
    job_id: str = "4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
) -> dict[str, Any]:
    event = copy.deepcopy(AWS_SAMPLE_EVENT)
    event["time"] = "2026-11-24T10:00:00Z"
    detail = event["detail"]
    detail.update(status=status, jobQueue=queue, jobId=job_id, jobName="file-report-3f2a9c1d0b")
    detail["parameters"] = dict(parameters or {})
    if status_reason is not None:
        detail["statusReason"] = status_reason
    if exit_code is not None:
        detail["container"]["exitCode"] = exit_code
    if container_reason is not None:
        detail["container"]["reason"] = container_reason
    if log_stream is not None:
        detail["container"]["logStreamName"] = log_stream
    if array_properties is not None:
        detail["arrayProperties"] = array_properties
    return event


_ESSENTIAL_EXITED = "Essential container in task exited"
_PULL_FAILED = "CannotPullContainerError: pull image manifest has been retried 5 time(s)"
_NEVER_PLACED = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU)"
    " is higher than that can be met by the CE(s) attached to the job queue."
)
_HOST_TERMINATED = "Host EC2 (instance i-0f1e2d3c4b5a69788) terminated."
LOG_STREAM = "job/default/9b1c6f0e2d7a4c55b8e3f1a2d4c6e8f0"
"""The log stream Batch names when a job's container reaches RUNNING."""

FINISHED_EVENTS: dict[str, dict[str, Any]] = {
    "file-succeeded": _event(
        "SUCCEEDED",
        status_reason=_ESSENTIAL_EXITED,
        exit_code=0,
        log_stream=LOG_STREAM,
        parameters=_FILE_PARAMETERS,
    ),
    "file-failed": _event(
        "FAILED",
        status_reason=_ESSENTIAL_EXITED,
        exit_code=2,
        log_stream=LOG_STREAM,
        parameters=_FILE_PARAMETERS,
    ),
    "file-failed-before-starting": _event(
        "FAILED",
        status_reason=_PULL_FAILED,
        container_reason=_PULL_FAILED,
        parameters=_FILE_PARAMETERS,
    ),
    "file-failed-without-any-reason": _event("FAILED", parameters=_FILE_PARAMETERS),
    "file-exit-code-without-reason": _event(
        "FAILED", exit_code=1, log_stream=LOG_STREAM, parameters=_FILE_PARAMETERS
    ),
    "file-cancelled-while-runnable": _event(
        "FAILED", status_reason=_NEVER_PLACED, parameters=_FILE_PARAMETERS
    ),
    "file-host-terminated-while-running": _event(
        "FAILED", status_reason=_HOST_TERMINATED, log_stream=LOG_STREAM, parameters=_FILE_PARAMETERS
    ),
    "file-reason-with-quotes": _event(
        "FAILED",
        status_reason='Job attempt "2" exceeded its timeout',
        parameters=_FILE_PARAMETERS,
    ),
    "array-parent-succeeded": _event(
        "SUCCEEDED",
        parameters={"manifestUri": MANIFEST_URI},
        array_properties={
            "statusSummary": {"SUCCEEDED": 3, "FAILED": 0},
            "size": 3,
        },
    ),
    "array-parent-failed": _event(
        "FAILED",
        status_reason="Array Child Job failed",
        parameters={"manifestUri": MANIFEST_URI},
        array_properties={"statusSummary": {"SUCCEEDED": 2, "FAILED": 1}, "size": 3},
    ),
    "array-child-succeeded": _event(
        "SUCCEEDED",
        status_reason=_ESSENTIAL_EXITED,
        exit_code=0,
        log_stream=LOG_STREAM,
        parameters={"manifestUri": MANIFEST_URI},
        array_properties={"index": 0},
        job_id="4c7599ae-0a82-49aa-ba5a-4727fcce14a8:0",
    ),
    "array-child-failed": _event(
        "FAILED",
        status_reason=_ESSENTIAL_EXITED,
        exit_code=1,
        log_stream=LOG_STREAM,
        parameters={"manifestUri": MANIFEST_URI},
        array_properties={"index": 2},
        job_id="4c7599ae-0a82-49aa-ba5a-4727fcce14a8:2",
    ),
    "array-child-failed-before-starting": _event(
        "FAILED",
        status_reason=_PULL_FAILED,
        container_reason=_PULL_FAILED,
        parameters={"manifestUri": MANIFEST_URI},
        array_properties={"index": 1},
        job_id="4c7599ae-0a82-49aa-ba5a-4727fcce14a8:1",
    ),
}
"""Every shape of SUCCEEDED or FAILED event a pipeline's jobs send, by name."""

NOT_PUBLISHED_EVENTS: dict[str, dict[str, Any]] = {
    "aws-sample-runnable": _event("RUNNABLE", parameters=_FILE_PARAMETERS),
    "running": _event("RUNNING", parameters=_FILE_PARAMETERS),
    "another-queue": _event(
        "FAILED",
        queue=OTHER_QUEUE_ARN,
        status_reason=_ESSENTIAL_EXITED,
        exit_code=1,
        log_stream=LOG_STREAM,
        parameters=_FILE_PARAMETERS,
    ),
}
"""Events no completion rule may publish: unfinished jobs and another queue's jobs."""
