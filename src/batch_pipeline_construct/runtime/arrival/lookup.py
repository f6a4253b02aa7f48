"""Find the job an earlier submission created, when its outcome is unknown.

AWS Batch has no idempotency token on SubmitJob, but every submission here has a name that
identifies it (the object version, or the manifest) and ``ListJobs`` filters a queue's jobs by
``JOB_NAME`` in any state. So whenever a SubmitJob may or may not have created its job (a 5xx, a
lost response, an invocation that died, a lease taken over), the job is looked up by name
before anything is submitted again. Lookups happen only then, so they stay a small share of the
account's Batch API rate (50 calls/s, shared with SubmitJob).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_batch.type_defs import KeyValuesPairTypeDef


@dataclass(frozen=True)
class FoundJob:
    """A job Batch already has."""

    job_id: str
    """Its ID."""
    job_name: str
    """Its name."""
    array_size: int | None = None
    """Its number of children, for an array job."""


class JobLookup:
    """Looks jobs of one job queue up by name; counts its calls in :attr:`calls`."""

    def __init__(self, client: BatchClient, job_queue: str) -> None:
        self._client = client
        self._job_queue = job_queue
        self.calls = 0
        """ListJobs calls made."""

    def find(self, job_name: str) -> FoundJob | None:
        """The job of this queue named exactly ``job_name`` (the oldest, if several), or None.

        Raises botocore's errors: when the lookup fails, the outcome is still unknown.
        """
        found: list[tuple[int, FoundJob]] = []
        token: str | None = None
        while True:
            self.calls += 1
            filters: list[KeyValuesPairTypeDef] = [{"name": "JOB_NAME", "values": [job_name]}]
            page = (
                self._client.list_jobs(jobQueue=self._job_queue, filters=filters, nextToken=token)
                if token
                else self._client.list_jobs(jobQueue=self._job_queue, filters=filters)
            )
            found += [
                (
                    summary.get("createdAt", 0),
                    FoundJob(
                        summary["jobId"],
                        summary["jobName"],
                        summary.get("arrayProperties", {}).get("size"),
                    ),
                )
                for summary in page.get("jobSummaryList", [])
                # the filter ignores case; array children carry their parent's name
                if summary["jobName"] == job_name and ":" not in summary["jobId"]
            ]
            token = page.get("nextToken")
            if not token:
                break
        return min(found, key=lambda pair: pair[0])[1] if found else None
