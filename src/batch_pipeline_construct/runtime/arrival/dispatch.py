"""Start the job for one file: claim it, submit it, record the job (the per-file path).

The arrival function and the operator's ``reprocess`` command both go through
:meth:`Dispatcher.dispatch`, so a file is submitted the same way whichever started it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from ..job.contract import JobContract, output_prefix
from ..logs import log
from ..settings import JOB_NAME_PREFIX, ArrivalSettings
from .idempotency import Claim, Ledger, Taken
from .s3_events import ObjectRef
from .submission import SubmissionFailed, Submitter

Status = Literal["submitted", "duplicate", "in-progress", "failed"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    ref: ObjectRef
    """The file."""
    status: Status
    """``submitted``, ``duplicate`` (a job was submitted before), ``in-progress`` (another
    invocation is submitting it) or ``failed``."""
    job_id: str | None = None
    """The job started for it (now or, for a duplicate, before)."""
    job_name: str | None = None
    """The job's name."""
    attempts: int = 0
    """SubmitJob calls made for it."""
    reason: str | None = None
    """Why it failed, or a warning about a submitted job."""

    @property
    def done(self) -> bool:
        """Whether its message may be deleted: its job was submitted, now or before."""
        return self.status in ("submitted", "duplicate")

    def log(self, **context: object) -> None:
        """Write the outcome as one structured log line."""
        log(
            self.status,
            s3_event=self.ref.event_name,
            bucket=self.ref.bucket,
            key=self.ref.key,
            version_id=self.ref.version_id,
            job_id=self.job_id,
            job_name=self.job_name,
            attempts=self.attempts,
            reason=self.reason,
            **context,
        )


def contract_for(ref: ObjectRef, settings: ArrivalSettings) -> JobContract:
    """The job contract for ``ref`` in the pipeline that ``settings`` describe."""
    return JobContract(
        input_bucket=ref.bucket,
        input_key=ref.key,
        output_bucket=settings.output_bucket,
        output_prefix=output_prefix(ref.key, settings.output_root_prefix),
        version_id=ref.version_id,
    )


class Dispatcher:
    """Starts one job per file, deduplicated through ``ledger`` when there is one.

    A claim's lease lasts ``lease_seconds``: the longest this process can still be running.
    """

    def __init__(
        self,
        settings: ArrivalSettings,
        submitter: Submitter,
        ledger: Ledger | None,
        *,
        lease_seconds: float,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        """The pipeline's settings."""
        self.submitter = submitter
        """Submits the jobs."""
        self.ledger = ledger
        """The idempotency table, or None for no deduplication."""
        self._lease_seconds = lease_seconds
        self._wall_clock = wall_clock

    def claim(self, ref: ObjectRef) -> Claim | Taken | None:
        """Claim ``ref`` in the ledger; None when there is no ledger or nothing to dedupe on."""
        if self.ledger is None:
            return None
        return self.ledger.claim(ref, now=self._wall_clock(), lease_seconds=self._lease_seconds)

    def dispatch(self, ref: ObjectRef) -> FileOutcome:
        """Claim, submit and mark one file; a failed submission releases the claim."""
        claim = self.claim(ref)
        if isinstance(claim, Taken):
            return FileOutcome(ref, claim.state, job_id=claim.job_id)
        contract = contract_for(ref, self.settings)
        name = contract.job_name(JOB_NAME_PREFIX)
        try:
            submitted = self.submitter.submit(contract, name)
        except SubmissionFailed as error:
            if claim is not None:
                self.release(claim)
            return FileOutcome(
                ref, "failed", job_name=name, attempts=error.attempts, reason=str(error)
            )
        warning = self.mark(claim, job_id=submitted.job_id, job_name=name)
        return FileOutcome(
            ref,
            "submitted",
            job_id=submitted.job_id,
            job_name=name,
            attempts=submitted.attempts,
            reason=warning,
        )

    def mark(self, claim: Claim | None, *, job_id: str, job_name: str) -> str | None:
        """Mark ``claim`` submitted; the job exists either way, so a failure is only a warning."""
        if claim is None or self.ledger is None:
            return None
        try:
            self.ledger.mark_submitted(claim, job_id=job_id, job_name=job_name)
        except (ClientError, BotoCoreError) as error:
            return f"job submitted but not recorded in the idempotency table: {error}"
        return None

    def release(self, claim: Claim | None) -> None:
        """Release ``claim`` so that a redelivery can submit."""
        if claim is not None and self.ledger is not None:
            self.ledger.release(claim)
