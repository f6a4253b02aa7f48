"""Bulk mode: one array job for many files, instead of one job per file.

The files of the invocation's messages are collected (each claimed in the idempotency table,
so duplicates are left out), then more messages are received from the arrival queue until
``bulk_max_files`` files are collected, the queue is empty or the invocation's time runs low.
The files are written to a manifest (see :mod:`.manifest`) and one array job is submitted whose
child ``i`` processes entry ``i``. The manifest is written to the output bucket under
``manifest_prefix``. A single file is submitted as a plain per-file job.

Claims and marks in the idempotency table are made many at a time (``clients.CONCURRENT_CALLS``),
so the table's round trips, two per file, do not bound how fast an array job is assembled, and
the marks after SubmitJob finish well inside the invocation's last ``TOP_UP_STOP_SECONDS``: an
invocation that timed out after its job was accepted would have its files submitted again.

Messages received here are deleted once the job is submitted; if it is not, their claims are
released and they are made visible again, and the invocation's own records are reported as
batch item failures, so that every file is retried.
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
from .dispatch import FileOutcome, contract_for
from .idempotency import Claim, Taken, dedupe_key
from .invocation import DeadLetterUnavailable, Invocation
from .s3_events import ObjectRef, S3Notification
from .submission import SubmissionFailed, Submitted

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

TOP_UP_STOP_SECONDS = 30.0
"""No more messages are received when less than this is left of the invocation."""

T = TypeVar("T")
R = TypeVar("R")


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
    claims: list[Claim | Taken | Exception | None] = field(default_factory=list)
    """Per file: its claim, why it is taken, or the error that kept it from being claimed."""


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

    def claim_all(self) -> None:
        """Claim every collected file in the idempotency table, many calls at a time."""
        refs = [ref for message in self.messages for ref in message.refs]
        claims = iter(_concurrently(self._claim, refs))
        for message in self.messages:
            message.claims = [next(claims) for _ in message.refs]

    def _claim(self, ref: ObjectRef) -> Claim | Taken | Exception | None:
        try:
            return self.invocation.dispatcher.claim(ref)
        except Exception as error:  # only this file's message waits; the others go on
            log("claim-error", level="ERROR", bucket=ref.bucket, key=ref.key, reason=repr(error))
            return error

    @property
    def files(self) -> list[tuple[ObjectRef, Claim | None]]:
        """The files to submit: claimed (or not deduplicated), in collection order."""
        return [
            (ref, claim)
            for message in self.messages
            for ref, claim in zip(message.refs, message.claims, strict=True)
            if not isinstance(claim, (Taken, Exception))
        ]


def _admission(message: _Message) -> Literal["done", "hold", "wait"]:
    """``wait`` when another invocation is submitting one of its files (retry it later),
    ``hold`` when it must wait for this invocation's job, ``done`` when it can go now."""
    taken = [claim for claim in message.claims if isinstance(claim, Taken)]
    for ref, claim in zip(message.refs, message.claims, strict=True):
        if isinstance(claim, Taken):
            FileOutcome(ref, claim.state, job_id=claim.job_id).log(message_id=message.message_id)
    if any(isinstance(claim, Exception) for claim in message.claims) or any(
        claim.state == "in-progress" for claim in taken
    ):
        return "wait"
    return "hold" if message.repeats or len(taken) < len(message.refs) else "done"


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
            log("record-error", level="ERROR", message_id=message_id, reason=repr(error))
            failures.append(message_id)
    sqs = clients.sqs()
    url = settings.arrival_queue_url
    acked_handles = _top_up(collection, invocation)
    held_records: list[str] = []
    held_handles: list[str] = []
    try:
        collection.claim_all()
        for message in collection.messages:
            admission = _admission(message)
            if admission == "wait" and message.handle is None:
                failures.append(message.message_id)
            elif admission == "done" and message.handle is not None:
                acked_handles.append(message.handle)
            elif admission == "hold":
                (held_records if message.handle is None else held_handles).append(
                    message.handle or message.message_id
                )
        if collection.files:
            if _submit_collection(collection, invocation):
                acked_handles += held_handles
            else:
                failures += held_records
                _make_visible(sqs, url, held_handles)
    except Exception as error:  # top-up messages reappear after their visibility timeout
        log("bulk-error", level="ERROR", reason=repr(error))
        failures += [m.message_id for m in collection.messages if m.handle is None]
    finally:
        _delete(sqs, url, acked_handles)
    return sorted(set(failures), key=[r["messageId"] for r in records].index)


def _top_up(collection: _Collection, invocation: Invocation) -> list[str]:
    """Receive more messages into ``collection``; return the handles that can be deleted now.

    Each round asks the queue for what is still missing with several ReceiveMessage calls side
    by side (SQS returns at most 10 messages a call).
    """
    url = invocation.settings.arrival_queue_url
    sqs = clients.sqs()
    acked: list[str] = []
    while (
        url is not None
        and collection.size < collection.limit
        and invocation.time_left() > TOP_UP_STOP_SECONDS
    ):
        missing = collection.limit - collection.size
        wanted = [10] * (missing // 10) + ([missing % 10] if missing % 10 else [])

        def receive(count: int, queue_url: str = url) -> list[MessageTypeDef]:
            response = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=count, WaitTimeSeconds=0
            )
            return response.get("Messages", [])

        rounds = _concurrently(receive, wanted[: clients.CONCURRENT_CALLS])
        messages = [message for batch in rounds for message in batch]
        if not messages:
            break
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
            _make_visible(sqs, url, overflow)
            break
    return acked


def _concurrently(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[function(item) for item in items]``, up to ``clients.CONCURRENT_CALLS`` calls at a time.

    boto3 clients are thread-safe; the calls are independent network round trips, so a
    10,000-file array job waits for about 2 x 10,000 / 32 round trips instead of 20,000.
    """
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(clients.CONCURRENT_CALLS, len(items))) as pool:
        return list(pool.map(function, items))


def _submit_collection(collection: _Collection, invocation: Invocation) -> bool:
    settings = invocation.settings
    dispatcher = invocation.dispatcher
    files = collection.files
    contracts = [contract_for(ref, settings) for ref, _ in files]
    try:
        if len(contracts) == 1:
            name = contracts[0].job_name(JOB_NAME_PREFIX)
            submitted = dispatcher.submitter.submit(contracts[0], name)
            job_ids = [submitted.job_id]
        else:
            # A full collection means the queue still holds files: pack, do not spread.
            more_waiting = collection.size >= collection.limit
            submitted, plan = _submit_array(contracts, invocation, more_waiting=more_waiting)
            job_ids = [f"{submitted.job_id}:{plan.child_of(n)}" for n in range(len(contracts))]
    except (SubmissionFailed, ClientError, BotoCoreError) as error:
        _concurrently(dispatcher.release, [claim for _, claim in files])
        for ref, _ in files:
            FileOutcome(ref, "failed", reason=str(error)).log()
        return False
    warnings = _concurrently(
        lambda pair: dispatcher.mark(pair[0], job_id=pair[1], job_name=submitted.job_name),
        list(zip([claim for _, claim in files], job_ids, strict=True)),
    )
    for (ref, _), job_id, warning in zip(files, job_ids, warnings, strict=True):
        FileOutcome(
            ref,
            "submitted",
            job_id=job_id,
            job_name=submitted.job_name,
            attempts=submitted.attempts,
            reason=warning,
        ).log(array_size=len(job_ids) if len(job_ids) > 1 else None)
    return True


def _submit_array(
    contracts: Sequence[JobContract], invocation: Invocation, *, more_waiting: bool
) -> tuple[Submitted, ManifestPlan]:
    settings = invocation.settings
    plan = plan_manifest(
        contracts, settings.output_bucket, settings.packing, more_waiting=more_waiting
    )
    manifest_id = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:12]}"
    bucket = settings.output_bucket
    key = f"{settings.manifest_prefix}{manifest_id}.json"
    clients.s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=plan.body,
        ContentType="application/json",
    )
    uri = f"s3://{bucket}/{key}"
    submitted = invocation.dispatcher.submitter.submit_array(
        job_name=job_name(JOB_NAME_PREFIX, f"bulk-{manifest_id}"),
        size=plan.array_size,
        environment={
            MANIFEST_URI: uri,
            "OUTPUT_BUCKET": settings.output_bucket,
            "S3_OUTPUT_BUCKET": settings.output_bucket,
        },
        parameters={
            MANIFEST_URI_PARAMETER: uri,
            "count": str(len(contracts)),
            "outputBucket": settings.output_bucket,
        },
    )
    return submitted, plan


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


def _delete(sqs: SQSClient, url: str | None, handles: list[str]) -> None:
    if url is None:
        return
    _concurrently(
        lambda chunk: sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(chunk)],
        ),
        list(_chunks(handles)),
    )


def _make_visible(sqs: SQSClient, url: str | None, handles: list[str]) -> None:
    if url is None:
        return
    _concurrently(
        lambda chunk: sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(chunk)
            ],
        ),
        list(_chunks(handles)),
    )
