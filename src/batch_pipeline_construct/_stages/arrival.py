"""The arrival path: input bucket notifications -> SQS -> the arrival Lambda -> AWS Batch.

The queue buffers bursts (S3 delivers at least once, SubmitJob is rate limited) and its
dead-letter queue keeps whatever could not be submitted where an operator can see and re-drive it.
"""

from __future__ import annotations

from aws_cdk import (
    Duration,
    RemovalPolicy,
    aws_batch,
    aws_dynamodb,
    aws_iam,
    aws_lambda_event_sources,
    aws_logs,
    aws_s3,
    aws_s3_notifications,
)
from constructs import Construct

from ..options import ArrivalOptions, BulkOptions, PerFileOptions, TriggerOptions
from ..runtime import settings
from ..runtime.job.manifest import PackingSettings
from ..runtime.sizing import SizeClass
from .key_filters import claim_key_filters
from .permissions import grant_job_lookup, grant_object_write, grant_submit_to_every_revision
from .queues import DEAD_LETTER_RETENTION, function_queue, secure_queue
from .runtime_function import runtime_function

ARRIVAL_HANDLER = settings.ARRIVAL_HANDLER

# What runtime/idempotency.py calls: claim (conditional put), mark submitted, release.
_IDEMPOTENCY_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


class ArrivalPath(Construct):
    """The arrival queue and its dead-letter queue, the per-file record table and the arrival Lambda."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        input_bucket: aws_s3.IBucket,
        output_bucket: aws_s3.IBucket,
        job_queue: aws_batch.IJobQueue,
        job_definition: aws_batch.IJobDefinition,
        trigger: TriggerOptions,
        arrival: ArrivalOptions,
        record_retention: Duration,
        mode: PerFileOptions | BulkOptions,
        packing: PackingSettings | None,
        job_sizes: tuple[SizeClass, ...],
        output_prefix: str,
        log_retention: aws_logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        bulk = mode if isinstance(mode, BulkOptions) else None
        function_timeout = mode.function_timeout

        self.dead_letter_queue = secure_queue(
            self, "DeadLetterQueue", retention_period=DEAD_LETTER_RETENTION
        )
        """Messages that failed ``max_receive_count`` times, and malformed ones, kept 14 days."""
        self.queue = function_queue(
            self,
            "Queue",
            function_timeout=function_timeout,
            dead_letter_queue=self.dead_letter_queue,
            max_receive_count=arrival.max_receive_count,
        )
        """The queue between the input bucket's notifications and the arrival function."""

        self.file_records: aws_dynamodb.TableV2 | None = None
        """The per-file record: one item per object version; it also suppresses duplicate
        deliveries (None when ``arrival.file_records`` is off)."""
        if arrival.file_records:
            self.file_records = aws_dynamodb.TableV2(
                self,
                "FileRecords",
                partition_key=aws_dynamodb.Attribute(
                    name=settings.PARTITION_KEY, type=aws_dynamodb.AttributeType.STRING
                ),
                time_to_live_attribute=settings.TTL_ATTRIBUTE,
                billing=aws_dynamodb.Billing.on_demand(),
                point_in_time_recovery_specification=aws_dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                removal_policy=removal_policy,
            )

        arrival_settings = settings.ArrivalSettings(
            job_queue_arn=job_queue.job_queue_arn,
            job_definition_name=job_definition.job_definition_name,
            input_bucket=input_bucket.bucket_name,
            output_bucket=output_bucket.bucket_name,
            output_root_prefix=output_prefix,
            file_records_table=(
                None if self.file_records is None else self.file_records.table_name
            ),
            record_retention_seconds=int(record_retention.to_seconds()),
            dead_letter_queue_url=self.dead_letter_queue.queue_url,
            arrival_queue_url=self.queue.queue_url,
            bulk_mode=bulk is not None,
            bulk_max_files=settings.MAX_ARRAY_SIZE if bulk is None else bulk.max_files_per_job,
            manifest_prefix=(
                settings.DEFAULT_MANIFEST_PREFIX if bulk is None else bulk.manifest_prefix
            ),
            **_packing_fields(packing or PackingSettings()),
            trigger_prefix=trigger.prefix or "",
            trigger_suffixes=tuple(trigger.suffixes),
            job_sizes=job_sizes,
        )

        function = runtime_function(
            self,
            handler=ARRIVAL_HANDLER,
            environment=arrival_settings.to_environ(),
            timeout=function_timeout,
            memory_size=256 if bulk is None else 1024,
            role_description="Arrival function: submit jobs to the pipeline's queue, dead-letter malformed messages.",
            description="Submits one AWS Batch job per file that arrives in the input bucket.",
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.function = function.function
        """The arrival Lambda."""

        self.log_group: aws_logs.ILogGroup = function.log_group
        """The arrival function's logs: one JSON line per file (``submitted``, ``duplicate``...)."""
        self.event_source = aws_lambda_event_sources.SqsEventSource(
            self.queue,
            batch_size=_batch_size(mode),
            max_batching_window=_batching_window(mode),
            max_concurrency=mode.max_concurrency,
            report_batch_item_failures=True,
        )
        """The event source mapping from the arrival queue to the function."""
        self.function.add_event_source(self.event_source)
        self._grant(function.role, job_queue, job_definition, output_bucket, bulk)
        claim_key_filters(input_bucket, trigger, scope.node.path)
        destination = aws_s3_notifications.SqsDestination(self.queue)
        for key_filter in _key_filters(trigger):
            input_bucket.add_event_notification(
                aws_s3.EventType.OBJECT_CREATED, destination, *key_filter
            )

    def _grant(
        self,
        role: aws_iam.IRole,
        job_queue: aws_batch.IJobQueue,
        job_definition: aws_batch.IJobDefinition,
        output_bucket: aws_s3.IBucket,
        bulk: BulkOptions | None,
    ) -> None:
        grant_submit_to_every_revision(role, job_queue, job_definition)
        grant_job_lookup(role)
        self.dead_letter_queue.grant_send_messages(role)
        if self.file_records is not None:
            self.file_records.grant(role, *_IDEMPOTENCY_ACTIONS)
        if bulk is not None:
            grant_object_write(output_bucket, role, f"{bulk.manifest_prefix}*")


def _batch_size(mode: PerFileOptions | BulkOptions) -> int:
    # In bulk mode a batch never holds more files than one array job takes: the rest would bounce.
    return mode.batch_size if isinstance(mode, PerFileOptions) else mode.max_files_per_job


def _batching_window(mode: PerFileOptions | BulkOptions) -> Duration:
    return mode.max_batching_window if isinstance(mode, PerFileOptions) else mode.batching_window


def _packing_fields(packing: PackingSettings) -> dict[str, int]:
    """The arrival settings that carry ``packing`` (see ``ArrivalSettings.packing``)."""
    return {
        "files_per_child": packing.files_per_child,
        "min_children": packing.min_children,
        "file_parallelism": packing.parallelism,
        "max_file_attempts": packing.max_file_attempts,
        "child_capacity": packing.capacity,
    }


def _key_filters(trigger: TriggerOptions) -> list[list[aws_s3.NotificationKeyFilter]]:
    """The filters of each S3 notification: one notification per suffix (S3 takes one suffix each)."""
    if not trigger.prefix and not trigger.suffixes:
        return [[]]
    return [
        [aws_s3.NotificationKeyFilter(prefix=prefix or None, suffix=suffix or None)]
        for prefix, suffix in trigger.key_filters()
    ]
