"""What became of every uploaded file: how many jobs Batch holds for it, whether it was
dead-lettered, and so whether it was lost or processed twice."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import boto3

from batch_pipeline_construct.runtime.job.manifest import read_manifest, split_s3_uri

from .faults import AwsFaults

FileId = tuple[str, str | None]
"""An uploaded object version: its key and version ID."""


@dataclass(frozen=True)
class Tally:
    """Per file: jobs started for it and whether it is in the dead-letter queue."""

    files: tuple[FileId, ...]
    """Every file uploaded."""
    jobs: Counter[FileId]
    """Jobs (per-file jobs, or array-job children through their manifest) per file."""
    dead_lettered: frozenset[FileId]
    """Files whose message is in the dead-letter queue."""
    calls: Counter[str] = field(default_factory=Counter)
    """AWS calls made, by ``service.Operation`` (those that reached the service or not)."""
    dead_letter_bodies: tuple[str, ...] = ()
    """Every message body in the dead-letter queue (read once, by :func:`tally`)."""

    @property
    def lost(self) -> int:
        """Files with no job that are not in the dead-letter queue either."""
        return sum(1 for f in self.files if self.jobs[f] == 0 and f not in self.dead_lettered)

    @property
    def twice(self) -> int:
        """Files with more than one job."""
        return sum(1 for f in self.files if self.jobs[f] > 1)

    @property
    def dead(self) -> int:
        """Files in the dead-letter queue."""
        return sum(1 for f in self.files if f in self.dead_lettered)

    def per_file(self, name: str) -> float:
        """Calls of ``service.Operation`` per uploaded file."""
        return self.calls[name] / len(self.files) if self.files else 0.0

    def summary(self) -> dict[str, float]:
        """The figures a test asserts and a benchmark prints."""
        return {
            "files": len(self.files),
            "lost": self.lost,
            "twice": self.twice,
            "dead_lettered": self.dead,
            "submit_job_per_file": round(self.per_file("batch.SubmitJob"), 4),
            "list_jobs_per_file": round(self.per_file("batch.ListJobs"), 4),
        }


def tally(
    files: Iterable[FileId],
    *,
    job_queue: str,
    dead_letter_queue_url: str | None = None,
    faults: AwsFaults | None = None,
) -> Tally:
    """Count, in moto, the jobs of ``job_queue`` and the dead letters for each of ``files``."""
    batch = boto3.client("batch")
    jobs: Counter[FileId] = Counter()
    for job in _jobs(batch, job_queue):
        for file in _files_of(job):
            jobs[file] += 1
    dead: set[FileId] = set()
    bodies = _drain(dead_letter_queue_url) if dead_letter_queue_url is not None else []
    for body in bodies:
        dead.update(_files_in_notification(body))
    calls: Counter[str] = Counter(call.name for call in faults.calls) if faults else Counter()
    return Tally(tuple(files), jobs, frozenset(dead), calls, tuple(bodies))


def _jobs(batch: Any, job_queue: str) -> list[dict[str, Any]]:
    # moto lists every job of the queue, in any state, when no status is given
    summaries = batch.list_jobs(jobQueue=job_queue)["jobSummaryList"]
    unique = [job["jobId"] for job in summaries if ":" not in job["jobId"]]
    described: list[dict[str, Any]] = []
    for start in range(0, len(unique), 100):
        described += batch.describe_jobs(jobs=unique[start : start + 100])["jobs"]
    return described


def _files_of(job: dict[str, Any]) -> list[FileId]:
    parameters = job.get("parameters", {})
    if "manifestUri" in parameters:
        bucket, key = split_s3_uri(parameters["manifestUri"])
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        contracts = read_manifest(body).contracts
        return [(contract.input_key, contract.version_id) for contract in contracts]
    if "inputKey" in parameters:
        return [(parameters["inputKey"], parameters.get("versionId"))]
    return []


def _drain(url: str) -> list[str]:
    sqs = boto3.client("sqs")
    bodies: list[str] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600
    ).get("Messages", []):
        bodies += [message["Body"] for message in batch]
    return bodies


def _files_in_notification(body: str) -> list[FileId]:
    try:
        records = json.loads(body).get("Records", [])
    except (ValueError, AttributeError):
        return []
    files: list[FileId] = []
    for record in records:
        obj = record.get("s3", {}).get("object", {})
        if "key" in obj:
            files.append((unquote_plus(obj["key"]), obj.get("versionId")))
    return files
