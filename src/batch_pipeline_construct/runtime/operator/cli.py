"""The operator's command line: reprocess existing objects, redrive the dead-letter queue.

Both commands read the pipeline's settings from the arrival function's environment (Lambda
``GetFunctionConfiguration``), so they act on exactly what the function acts on::

    python -m batch_pipeline_construct.runtime.operator.cli reprocess --function NAME \\
        [--prefix P] [--suffix S] [--dry-run]
    python -m batch_pipeline_construct.runtime.operator.cli redrive --function NAME [--max N]

``reprocess`` lists the objects in the input bucket (for example those uploaded before the
pipeline existed) and submits one job per object through the arrival function's own submission
code. It is deliberate, so it bypasses the idempotency table: every run starts a job for every
listed object, and the table is left unchanged (a later S3 event for the same version is still
deduplicated against the event's earlier job, not against the reprocessing job).

``redrive`` moves messages from the dead-letter queue back to the arrival queue (receive, send,
delete), so the arrival function tries them again.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from .. import clients
from ..arrival.dispatch import Dispatcher, contract_for
from ..arrival.s3_events import ObjectRef
from ..arrival.submission import Submitter
from ..local.command import register as register_local
from ..settings import JOB_NAME_PREFIX, ArrivalSettings

__all__ = [
    "existing_objects",
    "main",
    "redrive",
    "reprocess",
    "settings_of_function",
]

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

_REPROCESS_LEASE_SECONDS = 900.0


def settings_of_function(function_name: str, client: LambdaClient | None = None) -> ArrivalSettings:
    """The settings of the arrival function ``function_name``, from its environment."""
    lam = client or clients.lambda_()
    configuration = lam.get_function_configuration(FunctionName=function_name)
    return ArrivalSettings.from_environ(configuration.get("Environment", {}).get("Variables", {}))


def existing_objects(
    settings: ArrivalSettings, *, prefix: str = "", suffix: str = "", s3: S3Client | None = None
) -> Iterator[ObjectRef]:
    """The objects in the input bucket under ``prefix`` ending in ``suffix``, folders left out."""
    client = s3 or clients.s3()
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.input_bucket, Prefix=prefix
    )
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith(suffix) and not key.endswith("/"):
                yield ObjectRef(
                    bucket=settings.input_bucket,
                    key=key,
                    size=item.get("Size"),
                    etag=item.get("ETag"),
                    event_name="Reprocess",
                )


def reprocess(
    settings: ArrivalSettings,
    *,
    prefix: str = "",
    suffix: str = "",
    dry_run: bool = False,
    submitter: Submitter | None = None,
) -> dict[str, int]:
    """Submit one job per existing object; return the counts ``listed``, ``submitted``,
    ``failed`` and ``retries``."""
    dispatcher = Dispatcher(
        settings,
        submitter or Submitter.from_settings(settings, clients.batch()),
        None,
        lease_seconds=_REPROCESS_LEASE_SECONDS,
    )
    counts = {"listed": 0, "submitted": 0, "failed": 0}
    for ref in existing_objects(settings, prefix=prefix, suffix=suffix):
        counts["listed"] += 1
        if dry_run:
            name = contract_for(ref, settings).job_name(JOB_NAME_PREFIX)
            print(f"would submit {name} for s3://{ref.bucket}/{ref.key}")
            continue
        outcome = dispatcher.dispatch(ref)
        outcome.log()
        counts["submitted" if outcome.done else "failed"] += 1
    counts["retries"] = dispatcher.submitter.retries
    return counts


def redrive(
    settings: ArrivalSettings, *, max_messages: int | None = None, sqs: SQSClient | None = None
) -> dict[str, int]:
    """Move up to ``max_messages`` (default: all) from the dead-letter queue to the arrival
    queue; return the counts ``moved`` and ``failed``."""
    if settings.dead_letter_queue_url is None or settings.arrival_queue_url is None:
        raise ValueError("the function's settings name no dead-letter queue or arrival queue")
    client = sqs or clients.sqs()
    counts = {"moved": 0, "failed": 0}
    while max_messages is None or counts["moved"] + counts["failed"] < max_messages:
        wanted = 10 if max_messages is None else min(10, max_messages - sum(counts.values()))
        messages = client.receive_message(
            QueueUrl=settings.dead_letter_queue_url,
            MaxNumberOfMessages=wanted,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            break
        sent = client.send_message_batch(
            QueueUrl=settings.arrival_queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": message["Body"]} for i, message in enumerate(messages)
            ],
        )
        moved = [messages[int(entry["Id"])] for entry in sent.get("Successful", [])]
        if moved:
            client.delete_message_batch(
                QueueUrl=settings.dead_letter_queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                    for i, message in enumerate(moved)
                ],
            )
        counts["moved"] += len(moved)
        counts["failed"] += len(messages) - len(moved)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module documentation)."""
    parser = argparse.ArgumentParser(prog="python -m batch_pipeline_construct.runtime.operator.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    rep = commands.add_parser("reprocess", help="submit a job for every existing input object")
    rep.add_argument("--function", required=True, help="the arrival function's name or ARN")
    rep.add_argument("--prefix", default="", help="only keys that start with this")
    rep.add_argument("--suffix", default="", help="only keys that end with this")
    rep.add_argument("--dry-run", action="store_true", help="list, do not submit")
    red = commands.add_parser("redrive", help="move dead-lettered messages back to the queue")
    red.add_argument("--function", required=True, help="the arrival function's name or ARN")
    red.add_argument("--max", type=int, default=None, help="move at most this many messages")
    register_local(commands)
    args = parser.parse_args(argv)
    if args.command == "local":
        return int(args.handler(args))
    settings = settings_of_function(args.function)
    if args.command == "reprocess":
        counts = reprocess(settings, prefix=args.prefix, suffix=args.suffix, dry_run=args.dry_run)
    else:
        counts = redrive(settings, max_messages=args.max)
    print(" ".join(f"{name}={count}" for name, count in counts.items()))
    return 1 if counts["failed"] else 0
