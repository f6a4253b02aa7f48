"""Bulk mode: one array job for many files, instead of one job per file.

The files of the invocation's messages are collected (each claimed in the idempotency table,
so duplicates are left out), then more messages are received from the arrival queue until
``bulk_max_files`` files are collected, the queue is empty or the invocation's time runs low.
The files are written to a manifest (see :mod:`.manifest`) and one array job is submitted whose
child ``i`` processes entry ``i``. The manifest is written to ``manifest_bucket`` (the output
bucket when unset) under ``manifest_prefix``. A single file is submitted as a plain per-file job.

Messages received here are deleted once the job is submitted; if it is not, their claims are
released and they are made visible again, and the invocation's own records are reported as
batch item failures, so that every file is retried.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from . import clients
from .contract import JobContract, job_name
from .dispatch import FileOutcome, contract_for
from .idempotency import Claim, Taken, dedupe_key
from .invocation import DeadLetterUnavailable, Invocation
from .logs import log
from .manifest import manifest_body
from .s3_events import ObjectRef, S3Notification
from .submission import SubmissionFailed, Submitted

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mypy_boto3_sqs import SQSClient

MAX_ARRAY_SIZE = 10_000
"""The most children an AWS Batch array job can have."""
TOP_UP_STOP_SECONDS = 30.0
"""No more messages are received when less than this is left of the invocation."""

Admission = Literal["done", "hold", "wait", "full"]


@dataclass
class _Collected:
    ref: ObjectRef
    claim: Claim | None


@dataclass
class _Collection:
    invocation: Invocation
    limit: int
    files: list[_Collected] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def admit(self, notification: S3Notification, message_id: str) -> Admission:
        """Add a message's files: ``done`` when none is new (ack now), ``hold`` when the message
        must wait for the job, ``wait`` when another invocation is submitting one of them,
        ``full`` when they do not fit (nothing added)."""
        fresh = [ref for ref in notification.objects if _local_key(ref) not in self.seen]
        if len(self.files) + len(fresh) > self.limit:
            return "full"
        holds = len(fresh) < len(notification.objects)
        waits = False
        for ref in fresh:
            claim = self.invocation.dispatcher.claim(ref)
            if isinstance(claim, Taken):
                waits = waits or claim.state == "in-progress"
                FileOutcome(ref, claim.state, job_id=claim.job_id).log(message_id=message_id)
                continue
            self.files.append(_Collected(ref, claim))
            self.seen.add(_local_key(ref))
            holds = True
        return "wait" if waits else "hold" if holds else "done"


def run_bulk(records: Sequence[dict[str, Any]], invocation: Invocation) -> list[str]:
    """Process an invocation's records in bulk mode; return the message IDs that failed."""
    settings = invocation.settings
    collection = _Collection(invocation, min(settings.bulk_max_files, MAX_ARRAY_SIZE))
    failures: list[str] = []
    held_records: list[str] = []
    for record in records:
        message_id = record["messageId"]
        try:
            notification = invocation.read(record["body"], message_id)
            admission = (
                "done" if notification is None else collection.admit(notification, message_id)
            )
        except Exception as error:  # one record's failure must not lose the others
            log("record-error", level="ERROR", message_id=message_id, reason=repr(error))
            admission = "wait"
        if admission == "hold":
            held_records.append(message_id)
        elif admission in ("wait", "full"):
            failures.append(message_id)
    held_handles, acked_handles = _top_up(collection, invocation)
    sqs = clients.sqs()
    url = settings.arrival_queue_url
    try:
        if collection.files:
            succeeded = _submit_collection(collection, invocation)
            if succeeded:
                acked_handles += held_handles
            else:
                failures += held_records
                _make_visible(sqs, url, held_handles)
    finally:
        _delete(sqs, url, acked_handles)
    return failures


def _top_up(collection: _Collection, invocation: Invocation) -> tuple[list[str], list[str]]:
    url = invocation.settings.arrival_queue_url
    sqs = clients.sqs()
    held: list[str] = []
    acked: list[str] = []
    while (
        url is not None
        and len(collection.files) < collection.limit
        and invocation.time_left() > TOP_UP_STOP_SECONDS
    ):
        wanted = min(10, collection.limit - len(collection.files))
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=wanted, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            break
        full = False
        for message in messages:
            handle = message["ReceiptHandle"]
            if full:
                _make_visible(sqs, url, [handle])
                continue
            message_id = message["MessageId"]
            try:
                notification = invocation.read(message["Body"], message_id)
                admission = (
                    "done" if notification is None else collection.admit(notification, message_id)
                )
            except DeadLetterUnavailable:
                continue
            except Exception as error:  # the message reappears after its visibility timeout
                log("record-error", level="ERROR", message_id=message_id, reason=repr(error))
                continue
            if admission == "done":
                acked.append(handle)
            elif admission == "hold":
                held.append(handle)
            elif admission == "full":
                full = True
                _make_visible(sqs, url, [handle])
        if full:
            break
    return held, acked


def _submit_collection(collection: _Collection, invocation: Invocation) -> bool:
    settings = invocation.settings
    dispatcher = invocation.dispatcher
    contracts = [contract_for(item.ref, settings) for item in collection.files]
    try:
        if len(contracts) == 1:
            name = contracts[0].job_name(settings.job_name_prefix)
            submitted = dispatcher.submitter.submit(contracts[0], name)
            job_ids = [submitted.job_id]
        else:
            submitted = _submit_array(contracts, invocation)
            job_ids = [f"{submitted.job_id}:{index}" for index in range(len(contracts))]
    except (SubmissionFailed, ClientError, BotoCoreError) as error:
        for item in collection.files:
            dispatcher.release(item.claim)
            FileOutcome(item.ref, "failed", reason=str(error)).log()
        return False
    for item, job_id in zip(collection.files, job_ids, strict=True):
        warning = dispatcher.mark(item.claim, job_id=job_id, job_name=submitted.job_name)
        FileOutcome(
            item.ref,
            "submitted",
            job_id=job_id,
            job_name=submitted.job_name,
            attempts=submitted.attempts,
            reason=warning,
        ).log(array_size=len(job_ids) if len(job_ids) > 1 else None)
    return True


def _submit_array(contracts: Sequence[JobContract], invocation: Invocation) -> Submitted:
    settings = invocation.settings
    manifest_id = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:12]}"
    bucket = settings.manifest_bucket or settings.output_bucket
    key = f"{settings.manifest_prefix}{manifest_id}.json"
    clients.s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=manifest_body(contracts, settings.output_bucket),
        ContentType="application/json",
    )
    uri = f"s3://{bucket}/{key}"
    return invocation.dispatcher.submitter.submit_array(
        job_name=job_name(settings.job_name_prefix, f"bulk-{manifest_id}"),
        size=len(contracts),
        environment={
            "MANIFEST_URI": uri,
            "OUTPUT_BUCKET": settings.output_bucket,
            "S3_OUTPUT_BUCKET": settings.output_bucket,
        },
        parameters={
            "manifestUri": uri,
            "count": str(len(contracts)),
            "outputBucket": settings.output_bucket,
        },
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


def _delete(sqs: SQSClient, url: str | None, handles: list[str]) -> None:
    if url is None:
        return
    for chunk in _chunks(handles):
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(chunk)],
        )


def _make_visible(sqs: SQSClient, url: str | None, handles: list[str]) -> None:
    if url is None:
        return
    for chunk in _chunks(handles):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(chunk)
            ],
        )
