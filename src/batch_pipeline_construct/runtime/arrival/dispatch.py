"""Start the job for one file: claim it, submit it, record the job (the per-file path).

The arrival function and the operator's ``reprocess`` command both go through
:meth:`Dispatcher.dispatch`, so a file is submitted the same way whichever started it. A claim
taken over from a holder whose outcome is unknown is looked up first (see :mod:`.idempotency`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from .. import clients
from ..job.contract import JobContract, job_name, output_prefix
from ..job.manifest import read_manifest
from ..logs import log
from ..settings import JOB_NAME_PREFIX, ArrivalSettings
from .idempotency import Claim, Ledger, Taken
from .s3_events import ObjectRef
from .submission import OutOfTime, SubmissionFailed, Submitted, Submitter

Status = Literal["submitted", "found", "duplicate", "in-progress", "failed"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    ref: ObjectRef
    """The file."""
    status: Status
    """``submitted``, ``found`` (an earlier submission whose outcome was unknown had created its
    job), ``duplicate`` (a job was submitted before), ``in-progress`` (another invocation is
    submitting it) or ``failed``."""
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
        return self.status in ("submitted", "found", "duplicate")

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
        input_size=ref.size,
    )


def manifest_location(settings: ArrivalSettings, job_name: str) -> tuple[str, str]:
    """Bucket and key of the manifest of the bulk job ``job_name`` (named after the job, so a
    job found by a lookup leads to its files)."""
    return settings.output_bucket, f"{settings.manifest_prefix}{job_name}.json"


def submission_name(ref: ObjectRef, settings: ArrivalSettings) -> str:
    """The job name of ``ref``'s object version: the same in every delivery of one upload, and
    distinct for every upload (version ID, or sequencer in an unversioned bucket)."""
    identity = [ref.bucket, ref.version_id]
    if ref.version_id is None and ref.sequencer is not None:
        identity.append(ref.sequencer)
    return job_name(JOB_NAME_PREFIX, ref.key, *identity)


class Dispatcher:
    """Starts one job per file, deduplicated through ``ledger`` when there is one.

    A claim's lease lasts ``lease_seconds``: the longest this process can still be running.
    ``time_left`` (seconds; unlimited when None) decides whether a table call still fits.
    """

    def __init__(
        self,
        settings: ArrivalSettings,
        submitter: Submitter,
        ledger: Ledger | None,
        *,
        lease_seconds: float,
        wall_clock: Callable[[], float] = time.time,
        time_left: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        """The pipeline's settings."""
        self.submitter = submitter
        """Submits the jobs."""
        self.ledger = ledger
        """The idempotency table, or None for no deduplication."""
        self._lease_seconds = lease_seconds
        self._wall_clock = wall_clock
        self._time_left = time_left
        self._table_call_seconds = clients.worst_case_seconds(ledger.client) if ledger else 0.0
        self._found: dict[str, Submitted | None] = {}
        self._children: dict[str, dict[tuple[str, str, str | None], int]] = {}

    def time_for_a_table_call(self) -> bool:
        """Whether one call to the table, at its worst, ends before the invocation does."""
        return self._time_left is None or self._time_left() > self._table_call_seconds

    def claim(self, ref: ObjectRef, *, job_name: str) -> Claim | Taken | None:
        """Claim ``ref`` for ``job_name`` in the ledger; None when there is no ledger or nothing
        to dedupe on. Raises :class:`.OutOfTime` when the call might outlive the invocation."""
        if self.ledger is None:
            return None
        if not self.time_for_a_table_call():
            raise OutOfTime("too little time left to claim")
        return self.ledger.claim(
            ref, job_name=job_name, now=self._wall_clock(), lease_seconds=self._lease_seconds
        )

    def find(self, names: tuple[str, ...], ref: ObjectRef) -> Submitted | None:
        """The job Batch has for ``ref`` under one of ``names`` (submissions whose outcome was
        unknown): ``ref``'s own per-file job, or a bulk job whose manifest lists ``ref`` (then
        its ``job_id`` is the child's, ``parent:index``). Jobs and manifests are fetched once.

        Raises :class:`.OutOfTime` or botocore's error when a lookup cannot be made.
        """
        for name in names:
            if name not in self._found:
                self._found[name] = self.submitter.find(name)
            job = self._found[name]
            if job is None:
                continue
            if name == submission_name(ref, self.settings):
                return job
            children = self._manifest_children(name)
            child = children.get((ref.bucket, ref.key, ref.version_id))
            if child is not None:
                single = len(children) == 1  # a lone file, submitted as a per-file job
                job_id = job.job_id if single else f"{job.job_id}:{child}"
                return Submitted(job_id, job.job_name, 0, found=True)
        return None

    def _manifest_children(self, name: str) -> dict[tuple[str, str, str | None], int]:
        """Which child of the bulk job ``name`` processes each file of its manifest."""
        if name not in self._children:
            bucket, key = manifest_location(self.settings, name)
            manifest = read_manifest(clients.s3().get_object(Bucket=bucket, Key=key)["Body"].read())
            self._children[name] = {
                (entry.input_bucket, entry.input_key, entry.version_id): child
                for child in range(manifest.children)
                for entry in (manifest.contracts[n] for n in manifest.share(child))
            }
        return self._children[name]

    def dispatch(self, ref: ObjectRef) -> FileOutcome:
        """Claim, submit and mark one file; a submission that certainly failed releases the
        claim, one whose outcome is unknown keeps it for the next delivery to look up."""
        name = submission_name(ref, self.settings)
        try:
            claim = self.claim(ref, job_name=name)
        except OutOfTime as error:
            return FileOutcome(ref, "failed", job_name=name, reason=str(error))
        if isinstance(claim, Taken):
            return FileOutcome(ref, claim.state, job_id=claim.job_id)
        if claim is not None and claim.unknown:
            try:
                found = self.find(claim.unknown, ref)
            except (OutOfTime, ClientError, BotoCoreError) as error:
                reason = f"lookup of {', '.join(claim.unknown)} failed: {error}"
                return FileOutcome(ref, "failed", job_name=name, reason=reason)
            if found is not None:
                return self._recorded(ref, claim, found, "found")
        contract = contract_for(ref, self.settings)
        try:
            submitted = self.submitter.submit(contract, name)
        except SubmissionFailed as error:
            if not error.unknown:
                self.release(claim)
            return FileOutcome(
                ref, "failed", job_name=name, attempts=error.attempts, reason=str(error)
            )
        return self._recorded(ref, claim, submitted, "found" if submitted.found else "submitted")

    def _recorded(
        self, ref: ObjectRef, claim: Claim | None, job: Submitted, status: Status
    ) -> FileOutcome:
        warning = self.mark(claim, job_id=job.job_id, job_name=job.job_name)
        return FileOutcome(
            ref,
            status,
            job_id=job.job_id,
            job_name=job.job_name,
            attempts=job.attempts,
            reason=warning,
        )

    def mark(self, claim: Claim | None, *, job_id: str, job_name: str) -> str | None:
        """Mark ``claim`` submitted; return a warning instead of raising, whatever goes wrong.

        The job exists either way and the claim already names it, so an unmarked claim costs
        only a lookup when a later delivery takes it over.
        """
        if claim is None or self.ledger is None:
            return None
        if not self.time_for_a_table_call():
            return "job submitted; too little time left to mark its claim"
        try:
            self.ledger.mark_submitted(claim, job_id=job_id, job_name=job_name)
        except Exception as error:  # one failed mark must never fail the file or the others
            return f"job submitted but not marked in the table: {error!r}"
        return None

    def release(self, claim: Claim | None) -> None:
        """Release ``claim`` so that a redelivery can submit."""
        if claim is not None and self.ledger is not None:
            self.ledger.release(claim)
