"""Bulk mode: one array job for many files, instead of one job per file.

The files of the invocation's messages are collected, then more messages are received from the
arrival queue (the *top-up*) until ``bulk_max_files`` files are collected, the queue has nothing
more to give or the invocation's time runs low; any error receiving (``OverLimit`` when 120,000
messages are in flight, a 5xx) ends the top-up and the invocation goes on with what it has. So
a lone file is submitted at once, and a burst becomes a few large array jobs.

The array job's name is chosen first, and every file is claimed *for that name* (see
:mod:`.idempotency`) before anything is written: a crash after SubmitJob, or a SubmitJob whose
answer is lost, leaves claims that name the job, and the next delivery looks it up instead of
submitting the files again. Claims a crashed invocation left are looked up the same way (one
``ListJobs`` per name), and the files found in a job are marked, not resubmitted. The manifest
(:mod:`..job.manifest`) is written under the job's name, then one array job is submitted whose
child ``i`` processes its share of the entries; a single file becomes a plain per-file job.
How many children share them depends on the work still waiting: one GetQueueAttributes call
counts the arrival queue's messages behind this invocation's (see :func:`_files_waiting` and
``PackingSettings.children_for``): full children while much waits, shorter ones as the burst
runs out, so its last children end close together.

Claims and marks in the table are made many at a time (``clients.CONCURRENT_CALLS``); each is
checked against the time left, and one failing never fails the others: a file whose claim
failed waits for its message's next delivery, a file whose mark failed is found by a lookup.

Messages received by the top-up are deleted once their files have a job; if the submission
certainly failed their claims are released and they are made visible again, and the
invocation's own records are reported as batch item failures, so that every file is retried.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from .. import clients
from ..job.contract import MANIFEST_URI, MANIFEST_URI_PARAMETER, JobContract, job_name
from ..job.manifest import ManifestPlan, plan_manifest
from ..logs import log
from ..settings import JOB_NAME_PREFIX, MAX_ARRAY_SIZE
from ..sizing import class_label
from .dispatch import FileOutcome, contract_for, manifest_location, submission_name
from .idempotency import Claim, Taken, dedupe_key
from .invocation import CALL_MARGIN_SECONDS, DeadLetterUnavailable, Invocation
from .s3_events import ObjectRef, S3Notification
from .submission import OutOfTime, SubmissionFailed, Submitted

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

TOP_UP_STOP_SECONDS = 30.0
"""No more messages are received when less than this is left of the invocation."""

Verdict = Literal["submitted", "failed", "unknown"]
"""What became of a submission: ``unknown`` when a job may exist (its claims are kept)."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class _Found:
    """A file an earlier holder's job already covers (found by a lookup)."""

    job_id: str
    job_name: str


ClaimResult = Claim | Taken | _Found | Exception | None


@dataclass
class _Message:
    """A message whose files are collected: one of the invocation's records, or a top-up's."""

    message_id: str
    handle: str | None
    """Receipt handle of a top-up message; None for the invocation's own records."""
    refs: list[ObjectRef]
    """Its files not already collected from an earlier message of this invocation."""
    repeats: bool
    """Some of its files were already collected from an earlier message."""
    claims: list[ClaimResult] = field(default_factory=list)
    """Per file: its claim, why it is taken or found, or the error that kept it from being
    claimed."""


@dataclass
class _Collection:
    invocation: Invocation
    limit: int
    messages: list[_Message] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    size: int = 0

    def add(self, notification: S3Notification, message_id: str, handle: str | None) -> bool:
        """Add a message's new files; False (nothing added) when they would not fit."""
        fresh = [ref for ref in notification.objects if _local_key(ref) not in self.seen]
        if self.size + len(fresh) > self.limit:
            return False
        self.seen.update(_local_key(ref) for ref in fresh)
        repeats = len(fresh) < len(notification.objects)
        self.messages.append(_Message(message_id, handle, fresh, repeats))
        self.size += len(fresh)
        return True

    @property
    def refs(self) -> list[ObjectRef]:
        return [ref for message in self.messages for ref in message.refs]

    def claim_all(self, name_of: Callable[[ObjectRef], str | None]) -> None:
        """Claim every file for its job ``name_of(ref)`` (its per-file name when None), many at
        a time."""
        claims = iter(_concurrently(lambda ref: self._claim(ref, name_of(ref)), self.refs))
        for message in self.messages:
            message.claims = [next(claims) for _ in message.refs]

    def _claim(self, ref: ObjectRef, name: str | None) -> ClaimResult:
        dispatcher = self.invocation.dispatcher
        try:
            return dispatcher.claim(ref, job_name=name or submission_name(ref, dispatcher.settings))
        except Exception as error:  # only this file's message waits; the others go on
            self.invocation.error("claim-error", bucket=ref.bucket, key=ref.key, reason=repr(error))
            return error

    def recover(self) -> None:
        """Look up the jobs of claims taken over, once per name; mark the files found."""
        pending = [
            (message, index, claim)
            for message in self.messages
            for index, claim in enumerate(message.claims)
            if isinstance(claim, Claim) and claim.unknown
        ]
        if not pending:
            return
        dispatcher = self.invocation.dispatcher
        for message, index, claim in pending:
            assert isinstance(claim, Claim)
            ref = message.refs[index]
            try:
                job = dispatcher.find(claim.unknown, ref)
            except Exception as error:  # the outcome stays unknown: keep the claim, wait
                self.invocation.error("lookup-error", key=ref.key, reason=repr(error))
                message.claims[index] = error
                continue
            if job is not None:
                found = _Found(job.job_id, job.job_name)
                warning = dispatcher.mark(claim, job_id=found.job_id, job_name=found.job_name)
                self.invocation.report(
                    FileOutcome(
                        ref, "found", job_id=found.job_id, job_name=found.job_name, reason=warning
                    ),
                    message_id=message.message_id,
                )
                message.claims[index] = found

    @property
    def files(self) -> list[tuple[ObjectRef, Claim | None]]:
        """The files to submit: claimed (or not deduplicated), in collection order."""
        return [
            (ref, claim)
            for message in self.messages
            for ref, claim in zip(message.refs, message.claims, strict=True)
            if isinstance(claim, Claim) or claim is None
        ]


def _admission(message: _Message, invocation: Invocation) -> Literal["done", "hold", "wait"]:
    """``wait`` when another invocation is submitting one of its files (retry it later),
    ``hold`` when it must wait for this invocation's job, ``done`` when it can go now."""
    for ref, claim in zip(message.refs, message.claims, strict=True):
        if isinstance(claim, Taken):
            invocation.report(
                FileOutcome(ref, claim.state, job_id=claim.job_id), message_id=message.message_id
            )
    if any(
        isinstance(claim, Exception) or (isinstance(claim, Taken) and claim.state == "in-progress")
        for claim in message.claims
    ):
        return "wait"
    covered = sum(isinstance(claim, (Taken, _Found)) for claim in message.claims)
    return "hold" if message.repeats or covered < len(message.refs) else "done"


def run_bulk(records: Sequence[dict[str, Any]], invocation: Invocation) -> list[str]:
    """Process an invocation's records in bulk mode; return the message IDs that failed."""
    settings = invocation.settings
    collection = _Collection(invocation, min(settings.bulk_max_files, MAX_ARRAY_SIZE))
    failures: list[str] = []
    for record in records:
        message_id = record["messageId"]
        try:
            notification = invocation.read(record["body"], message_id)
            if notification is not None and not collection.add(notification, message_id, None):
                failures.append(message_id)
        except Exception as error:  # one record's failure must not lose the others
            invocation.error("record-error", message_id=message_id, reason=repr(error))
            failures.append(message_id)
    sqs = clients.sqs()
    url = settings.arrival_queue_url
    acked_handles = _top_up(collection, invocation)
    try:
        submitter = invocation.dispatcher.submitter
        names = _array_job_names(collection, invocation)
        collection.claim_all(lambda ref: names.get(submitter.size_class(ref.size)))
        collection.recover()
        held: list[_Message] = []
        for message in collection.messages:
            admission = _admission(message, invocation)
            if admission == "wait" and message.handle is None:
                failures.append(message.message_id)
            elif admission == "done" and message.handle is not None:
                acked_handles.append(message.handle)
            elif admission == "hold":
                held.append(message)
        if collection.files:
            waiting = _files_waiting(collection, invocation) if names else 0
            verdicts: dict[str, Verdict] = {}
            for size_class, files in _by_size_class(collection.files, submitter.size_class):
                verdict = _submit_files(
                    files, invocation, names.get(size_class), size_class, waiting=waiting
                )
                verdicts.update((_local_key(ref), verdict) for ref, _ in files)
            retry_soon: list[str] = []
            for message in held:
                verdict = _held_verdict(message, verdicts)
                if verdict == "submitted":
                    if message.handle is not None:
                        acked_handles.append(message.handle)
                elif message.handle is None:
                    failures.append(message.message_id)
                elif verdict == "failed":  # no job exists: retry soon
                    retry_soon.append(message.handle)
            _make_visible(sqs, url, retry_soon, invocation)
    except Exception as error:  # top-up messages reappear after their visibility timeout
        invocation.error("bulk-error", reason=repr(error))
        failures += [m.message_id for m in collection.messages if m.handle is None]
    finally:
        _delete(sqs, url, acked_handles, invocation)
    return sorted(set(failures), key=[r["messageId"] for r in records].index)


def _top_up(collection: _Collection, invocation: Invocation) -> list[str]:
    """Receive more messages into ``collection``; return the handles that can be deleted now.

    Each round asks the queue for what is still missing with ReceiveMessage calls side by side
    (SQS returns at most 10 messages a call): one call in the first round, then twice as many
    calls as came back full in the round before (up to ``clients.CONCURRENT_CALLS``, at least
    one). A short answer alone does not end the top-up (short polling samples some of SQS's
    servers, so a busy queue answers short too); a round that brings nothing does. So a nearly
    empty queue costs two calls, not dozens, and a burst still fills its array job. The top-up
    also ends when time runs low or a receive fails (for example ``OverLimit``): what was
    received so far is kept, so a failing top-up neither loses nor delays a file.
    """
    url = invocation.settings.arrival_queue_url
    sqs = clients.sqs()
    margin = max(TOP_UP_STOP_SECONDS, clients.worst_case_seconds(sqs) + CALL_MARGIN_SECONDS)
    acked: list[str] = []
    calls = 1
    while (
        url is not None and collection.size < collection.limit and invocation.time_left() > margin
    ):
        missing = collection.limit - collection.size
        wanted = ([10] * (missing // 10) + ([missing % 10] if missing % 10 else []))[:calls]

        def receive(count: int, queue_url: str = url) -> list[MessageTypeDef] | Exception:
            try:
                response = sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=count, WaitTimeSeconds=0
                )
            except Exception as error:  # the others' messages are kept
                return error
            return response.get("Messages", [])

        rounds = _concurrently(receive, wanted)
        errors = [result for result in rounds if isinstance(result, Exception)]
        full = sum(
            isinstance(batch, list) and len(batch) == count
            for batch, count in zip(rounds, wanted, strict=True)
        )
        calls = min(max(1, 2 * full), clients.CONCURRENT_CALLS)
        messages = [message for batch in rounds if isinstance(batch, list) for message in batch]
        overflow: list[str] = []
        for message in messages:
            handle = message["ReceiptHandle"]
            if overflow:
                overflow.append(handle)
                continue
            message_id = message["MessageId"]
            try:
                notification = invocation.read(message["Body"], message_id)
            except DeadLetterUnavailable:
                continue
            except Exception as error:  # the message reappears after its visibility timeout
                log("record-error", level="ERROR", message_id=message_id, reason=repr(error))
                continue
            if notification is None:
                acked.append(handle)
            elif not collection.add(notification, message_id, handle):
                overflow.append(handle)
        if overflow:
            _make_visible(sqs, url, overflow, invocation)
        if errors:
            log("top-up-stopped", level="WARNING", reason=repr(errors[0]), files=collection.size)
        if overflow or errors or not messages:
            break
    return acked


def count_read_seconds() -> float:
    """The time left an invocation needs to read the queue's count: the read's worst case, and
    then still the manifest's write and the SubmitJob call at theirs, each with its margin."""
    return sum(
        clients.worst_case_seconds(client) + CALL_MARGIN_SECONDS
        for client in (clients.sqs(), clients.s3(), clients.batch())
    )


def _files_waiting(collection: _Collection, invocation: Invocation) -> int:
    """About how many files wait behind this invocation's: the arrival queue's messages, visible
    or received by other invocations and not yet done (one file each, as S3 sends them), from
    one GetQueueAttributes call. SQS's counts are approximate and may lag a minute; a wrong
    count only sizes children differently (see ``PackingSettings.children_for``).

    When the count cannot be read, or reading it could leave the manifest's write and the
    SubmitJob call less than their own worst case, the guess made before it was read: a
    collection cut at its limit has a full wave behind it, any other nothing.
    """
    url = invocation.settings.arrival_queue_url
    sqs = clients.sqs()
    if url is not None and invocation.time_left() > count_read_seconds():
        try:
            counts = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            queued = int(counts["ApproximateNumberOfMessages"])
            received = int(counts["ApproximateNumberOfMessagesNotVisible"])
            return max(0, queued + received - len(collection.messages))
        except Exception as error:  # only the children's size depends on it
            log("queue-count-unavailable", level="WARNING", reason=repr(error))
    return invocation.settings.packing.wave if collection.size >= collection.limit else 0


def _concurrently(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[function(item) for item in items]``, up to ``clients.CONCURRENT_CALLS`` calls at a time.

    boto3 clients are thread-safe; the calls are independent network round trips, so a
    10,000-file array job waits for about 2 x 10,000 / 32 round trips instead of 20,000.
    """
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(clients.CONCURRENT_CALLS, len(items))) as pool:
        return list(pool.map(function, items))


def _array_job_names(collection: _Collection, invocation: Invocation) -> dict[int | None, str]:
    """The array job of each sizing class the collection's files fall in (None: no class),
    by class; none when the collection is a single file (it gets its per-file job's name)."""
    if collection.size <= 1:
        return {}
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(invocation.wall_clock()))
    size_class = invocation.dispatcher.submitter.size_class
    names: dict[int | None, str] = {}
    for index in {size_class(ref.size) for ref in collection.refs}:
        label = "" if index is None else class_label(index)  # "sizes[0]" reads "sizes-0-"
        names[index] = job_name(JOB_NAME_PREFIX, f"bulk-{label}{stamp}-{uuid.uuid4().hex[:12]}")
    return names


def _by_size_class(
    files: list[tuple[ObjectRef, Claim | None]], size_class: Callable[[int | None], int | None]
) -> list[tuple[int | None, list[tuple[ObjectRef, Claim | None]]]]:
    """``files`` grouped by sizing class, in the order each class first appears."""
    groups: dict[int | None, list[tuple[ObjectRef, Claim | None]]] = {}
    for ref, claim in files:
        groups.setdefault(size_class(ref.size), []).append((ref, claim))
    return list(groups.items())


_VERDICT_RANK: dict[Verdict, int] = {"submitted": 0, "failed": 1, "unknown": 2}


def _held_verdict(message: _Message, verdicts: dict[str, Verdict]) -> Verdict:
    """What became of a held message's files: the worst verdict of its own files' jobs, and of
    every job when it repeats files collected from another message."""
    mine = [verdicts.get(_local_key(ref), "submitted") for ref in message.refs]
    if message.repeats:
        mine += verdicts.values()
    return max(mine, key=_VERDICT_RANK.__getitem__, default="submitted")


def _submit_files(
    files: list[tuple[ObjectRef, Claim | None]],
    invocation: Invocation,
    name: str | None,
    size_class: int | None,
    *,
    waiting: int,
) -> Verdict:
    """Submit files of one sizing class as one job; ``unknown`` when a job may exist (the claims
    are kept)."""
    settings = invocation.settings
    dispatcher = invocation.dispatcher
    contracts = [contract_for(ref, settings) for ref, _ in files]
    try:
        plan = None
        if name is not None:  # the claims name a bulk job: its manifest says which files it has
            plan = _write_manifest(contracts, invocation, name, waiting=waiting)
        if len(contracts) == 1:
            job = name or submission_name(files[0][0], settings)
            submitted = dispatcher.submitter.submit(contracts[0], job)
            job_ids = [submitted.job_id]
        else:
            assert name is not None and plan is not None  # more than one file was collected
            submitted = _submit_array(plan, invocation, name, size_class)
            job_ids = [f"{submitted.job_id}:{plan.child_of(n)}" for n in range(len(contracts))]
    except SubmissionFailed as error:
        return _not_submitted(files, error, unknown=error.unknown, invocation=invocation)
    except (OutOfTime, ClientError, BotoCoreError) as error:  # the manifest was not written
        return _not_submitted(files, error, unknown=False, invocation=invocation)
    warnings = _concurrently(
        lambda pair: dispatcher.mark(pair[0], job_id=pair[1], job_name=submitted.job_name),
        list(zip([claim for _, claim in files], job_ids, strict=True)),
    )
    for (ref, _), job_id, warning in zip(files, job_ids, warnings, strict=True):
        invocation.report(
            FileOutcome(
                ref,
                "found" if submitted.found else "submitted",
                job_id=job_id,
                job_name=submitted.job_name,
                attempts=submitted.attempts,
                reason=warning,
            ),
            array_size=len(job_ids) if len(job_ids) > 1 else None,
        )
    return "submitted"


def _not_submitted(
    files: list[tuple[ObjectRef, Claim | None]],
    error: Exception,
    *,
    unknown: bool,
    invocation: Invocation,
) -> Verdict:
    if not unknown:  # no job exists, so a redelivery may submit afresh
        _concurrently(_releaser(invocation), [claim for _, claim in files])
    for ref, _ in files:
        invocation.report(FileOutcome(ref, "failed", reason=str(error)))
    return "unknown" if unknown else "failed"


def _releaser(invocation: Invocation) -> Callable[[Claim | None], None]:
    def release(claim: Claim | None) -> None:
        try:
            if invocation.dispatcher.time_for_a_table_call():
                invocation.dispatcher.release(claim)
        except Exception as error:  # the claim's lease ends; the next delivery takes it over
            log("release-error", level="WARNING", reason=repr(error))

    return release


def _write_manifest(
    contracts: Sequence[JobContract], invocation: Invocation, name: str, *, waiting: int
) -> ManifestPlan:
    settings = invocation.settings
    plan = plan_manifest(contracts, settings.output_bucket, settings.packing, waiting=waiting)
    bucket, key = manifest_location(settings, name)
    if invocation.time_left() < clients.worst_case_seconds(clients.s3()) + CALL_MARGIN_SECONDS:
        raise OutOfTime("too little time left to write the manifest")
    clients.s3().put_object(Bucket=bucket, Key=key, Body=plan.body, ContentType="application/json")
    return plan


def _submit_array(
    plan: ManifestPlan, invocation: Invocation, name: str, size_class: int | None
) -> Submitted:
    settings = invocation.settings
    bucket, key = manifest_location(settings, name)
    uri = f"s3://{bucket}/{key}"
    return invocation.dispatcher.submitter.submit_array(
        job_name=name,
        size=plan.array_size,
        environment={
            MANIFEST_URI: uri,
            "OUTPUT_BUCKET": settings.output_bucket,
            "S3_OUTPUT_BUCKET": settings.output_bucket,
        },
        parameters={
            MANIFEST_URI_PARAMETER: uri,
            "count": str(plan.count),
            "outputBucket": settings.output_bucket,
        },
        size_class=size_class,
    )


def _local_key(ref: ObjectRef) -> str:
    return dedupe_key(ref) or f"{ref.bucket}/{ref.key}"


def _chunks(handles: Iterable[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    for handle in handles:
        batch.append(handle)
        if len(batch) == 10:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqs_batches(
    url: str | None,
    handles: list[str],
    invocation: Invocation,
    call: Callable[[str, list[str]], object],
) -> None:
    """``call(url, chunk)`` for every 10 handles, while time allows; errors are logged (the
    messages then reappear after their visibility timeout, and their claims say what was done)."""
    if url is None:
        return
    sqs_seconds = clients.worst_case_seconds(clients.sqs()) + CALL_MARGIN_SECONDS

    def one(chunk: list[str]) -> None:
        if invocation.time_left() < sqs_seconds:
            return
        try:
            call(url, chunk)
        except Exception as error:
            log("sqs-error", level="WARNING", reason=repr(error), messages=len(chunk))

    _concurrently(one, list(_chunks(handles)))


def _delete(sqs: SQSClient, url: str | None, handles: list[str], invocation: Invocation) -> None:
    _sqs_batches(
        url,
        handles,
        invocation,
        lambda queue, chunk: sqs.delete_message_batch(
            QueueUrl=queue,
            Entries=[{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(chunk)],
        ),
    )


def _make_visible(
    sqs: SQSClient, url: str | None, handles: list[str], invocation: Invocation
) -> None:
    _sqs_batches(
        url,
        handles,
        invocation,
        lambda queue, chunk: sqs.change_message_visibility_batch(
            QueueUrl=queue,
            Entries=[
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(chunk)
            ],
        ),
    )
