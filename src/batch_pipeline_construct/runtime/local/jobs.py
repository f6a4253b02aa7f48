"""The jobs the arrival function submitted, run as Docker containers, as AWS Batch would run them.

Each job (each child of an array job, with ``AWS_BATCH_JOB_ARRAY_INDEX``) runs its job
definition's image with the job definition's command (``Ref::`` parameters substituted) and
environment plus the submission's overrides, its vCPU and memory limits, the variables Batch
sets, and the emulator's endpoint and throwaway credentials. Its ending becomes a
``Batch Job State Change`` event like the one AWS Batch sends.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import docker
from .emulator import ACCOUNT, REGION
from .shared_data import Mount

_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
_PARAMETER = re.compile(r"Ref::([A-Za-z0-9_]+)")


@dataclass
class Run:
    """One container run: a per-file job, or one child of an array job."""

    job: dict[str, Any]
    index: int | None
    finished: docker.Finished | None = None
    started_at: float = field(default_factory=time.time)
    stopped_at: float = 0.0

    @property
    def job_id(self) -> str:
        """Batch's ID of this run (``parent:index`` for an array child)."""
        job_id: str = self.job["jobId"]
        return job_id if self.index is None else f"{job_id}:{self.index}"

    @property
    def succeeded(self) -> bool:
        """Whether the container exited with 0."""
        return self.finished is not None and self.finished.exit_code == 0


def submitted_jobs(batch: Any, queue_arn: str, seen: set[str]) -> list[dict[str, Any]]:
    """The jobs in ``queue_arn`` not in ``seen`` (their IDs are added to it)."""
    new_ids = []
    for status in _STATUSES:
        for summary in batch.list_jobs(jobQueue=queue_arn, jobStatus=status).get(
            "jobSummaryList", []
        ):
            if summary["jobId"] not in seen and ":" not in summary["jobId"]:
                seen.add(summary["jobId"])
                new_ids.append(summary["jobId"])
    jobs: list[dict[str, Any]] = []
    for start in range(0, len(new_ids), 100):
        jobs.extend(batch.describe_jobs(jobs=new_ids[start : start + 100])["jobs"])
    return jobs


def runs_of(job: dict[str, Any]) -> list[Run]:
    """One run for a job, or one per child of an array job."""
    size = job.get("arrayProperties", {}).get("size")
    if size:
        return [Run(job=job, index=index) for index in range(int(size))]
    return [Run(job=job, index=None)]


def _resources(requirements: list[dict[str, str]]) -> tuple[float | None, int | None]:
    values = {item["type"]: item["value"] for item in requirements}
    vcpus = float(values["VCPU"]) if "VCPU" in values else None
    memory = int(values["MEMORY"]) if "MEMORY" in values else None
    return vcpus, memory


def run_container(
    executable: str,
    run: Run,
    definition: dict[str, Any],
    environ: dict[str, str],
    disk_mib: int | None = None,
    mount: Mount | None = None,
) -> Run:
    """Run ``run``'s container to its end (blocking); ``environ`` reaches the emulator.

    ``disk_mib``: the container's writable space (see :func:`.docker.run`); default Docker's.
    ``mount``: the folder standing in for the pipeline's shared data, if it has any.
    """
    job = run.job
    container = definition.get("containerProperties", {})
    overrides = job.get("container", {})
    parameters = {**definition.get("parameters", {}), **job.get("parameters", {})}
    command = overrides.get("command") or container.get("command") or []
    command = [
        _PARAMETER.sub(lambda m: parameters.get(m.group(1), m.group(0)), part) for part in command
    ]
    environment = {item["name"]: item["value"] for item in container.get("environment", [])}
    environment.update({item["name"]: item["value"] for item in overrides.get("environment", [])})
    environment.update(environ)
    environment.update(
        {
            "AWS_BATCH_JOB_ID": run.job_id,
            "AWS_BATCH_JOB_ATTEMPT": "1",
            "AWS_BATCH_JQ_NAME": job["jobQueue"].rsplit("/", 1)[-1],
            "AWS_BATCH_CE_NAME": "local",
        }
    )
    if run.index is not None:
        environment["AWS_BATCH_JOB_ARRAY_INDEX"] = str(run.index)
    requirements = overrides.get("resourceRequirements") or container.get(
        "resourceRequirements", []
    )
    vcpus, memory = _resources(requirements)
    run.started_at = time.time()
    run.finished = docker.run(
        executable,
        container["image"],
        command,
        environment,
        vcpus=vcpus,
        memory_mib=memory,
        name=f"batch-pipeline-local-{uuid.uuid4().hex[:12]}",
        disk_mib=disk_mib,
        mount=mount,
    )
    run.stopped_at = time.time()
    return run


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_change(run: Run, *, status: str, array_size: int | None = None) -> dict[str, Any]:
    """The ``Batch Job State Change`` event AWS Batch sends when ``run`` (or its parent) ends."""
    job = run.job
    exit_code = run.finished.exit_code if run.finished else None
    job_id = job["jobId"] if array_size is not None else run.job_id
    detail: dict[str, Any] = {
        "jobArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{job_id}",
        "jobName": job["jobName"],
        "jobId": job_id,
        "jobQueue": job["jobQueue"],
        "status": status,
        "statusReason": (
            "Essential container in task exited"
            if array_size is None
            else f"Array job {status.lower()}"
        ),
        "attempts": [],
        "createdAt": int(job.get("createdAt", run.started_at * 1000)),
        "startedAt": int(run.started_at * 1000),
        "stoppedAt": int((run.stopped_at or time.time()) * 1000),
        "dependsOn": [],
        "jobDefinition": job["jobDefinition"],
        "parameters": job.get("parameters", {}),
        "container": {} if array_size is not None else {"exitCode": exit_code},
        "tags": job.get("tags", {}),
        "propagateTags": True,
        "platformCapabilities": ["FARGATE"],
    }
    if array_size is not None:
        detail["arrayProperties"] = {"size": array_size}
    elif run.index is not None:
        detail["arrayProperties"] = {"index": run.index}
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Batch Job State Change",
        "source": "aws.batch",
        "account": ACCOUNT,
        "time": _iso(run.stopped_at or time.time()),
        "region": REGION,
        "resources": [detail["jobArn"]],
        "detail": detail,
    }
