"""The per-file record's event side: Batch job state changes -> SQS -> the record function.

Events the function fails on five times, and events EventBridge cannot deliver, go to the
completion stage's dead-letter queue (already alarmed), which keeps the pipeline within its
resource budget (ten pipelines per stack).

The record function keeps each file's record in the file-records table (the table the arrival
function claims files in) and, when a run is finished, writes its report to the output bucket
and publishes one summary to the completion topic. In bulk mode it reads the per-file outcomes
that packed array children write beside their manifest (read access to those objects only).
Its queue buffers bursts of events (an array job of 10,000 children sends tens of thousands),
retries failures, and also carries the function's own delayed "close run" messages. Nothing here costs anything while no job runs.
"""

from __future__ import annotations

from aws_cdk import (
    Duration,
    RemovalPolicy,
    aws_batch,
    aws_dynamodb,
    aws_events,
    aws_events_targets,
    aws_lambda_event_sources,
    aws_logs,
    aws_s3,
    aws_sns,
    aws_sqs,
)
from constructs import Construct

from ..options import RecordOptions
from ..runtime.job.manifest import OUTCOMES_FOLDER
from ..runtime.records import schema
from ..runtime.records.config import RecordSettings
from ..runtime.records.report import RUN_REPORT_PREFIX
from .completion import finished_jobs_pattern
from .permissions import (
    acknowledge,
    grant_missing_objects_read_as_missing,
    grant_object_read,
    grant_object_write,
    nag_text,
)
from .queues import function_queue
from .runtime_function import runtime_function

RECORDS_HANDLER = "runtime.records.handler.handler"
RECORDED_BATCH_STATUSES = ("RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
"""The job statuses whose events update the records (Batch sends none for SUBMITTED)."""

_FUNCTION_TIMEOUT = Duration.minutes(5)
_MAX_RECEIVE_COUNT = 5
# What runtime/records calls: read records and runs, conditional updates and transactions
# (run items are created with a conditional put), a run's files through the indexes.
_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
)


class PipelineRecords(Construct):
    """The record function, its queue and dead-letter queue, and the rule that feeds them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: aws_dynamodb.TableV2,
        job_queue: aws_batch.IJobQueue,
        output_bucket: aws_s3.IBucket,
        output_prefix: str,
        manifest_prefix: str | None,
        topic: aws_sns.ITopic,
        job_log_group: aws_logs.ILogGroup,
        dead_letter_queue: aws_sqs.IQueue,
        options: RecordOptions,
        log_retention: aws_logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        table.add_global_secondary_index(
            index_name=schema.RUN_INDEX,
            partition_key=aws_dynamodb.Attribute(
                name=schema.RUN_ID, type=aws_dynamodb.AttributeType.STRING
            ),
            projection_type=aws_dynamodb.ProjectionType.ALL,
        )
        table.add_global_secondary_index(
            index_name=schema.JOB_INDEX,
            partition_key=aws_dynamodb.Attribute(
                name=schema.JOB_ID, type=aws_dynamodb.AttributeType.STRING
            ),
            projection_type=aws_dynamodb.ProjectionType.KEYS_ONLY,
        )

        self.queue = function_queue(
            self,
            "Queue",
            function_timeout=_FUNCTION_TIMEOUT,
            dead_letter_queue=dead_letter_queue,
            max_receive_count=_MAX_RECEIVE_COUNT,
        )
        """Job state change events of this queue, and the function's delayed close-run messages."""
        self.rule = aws_events.Rule(
            self,
            "Rule",
            description="This pipeline's job queue: every job state change, for the per-file record.",
            event_pattern=finished_jobs_pattern(job_queue, RECORDED_BATCH_STATUSES),
            targets=[aws_events_targets.SqsQueue(self.queue, dead_letter_queue=dead_letter_queue)],
        )
        """The EventBridge rule that feeds the record queue."""

        settings = RecordSettings(
            table=table.table_name,
            output_bucket=output_bucket.bucket_name,
            completion_topic_arn=topic.topic_arn,
            output_root_prefix=output_prefix,
            queue_url=self.queue.queue_url,
            retention_seconds=int(options.retention.to_seconds()),
            quiet_seconds=int(options.run_quiet_period.to_seconds()),
            job_log_group=job_log_group.log_group_name,
        )
        function = runtime_function(
            self,
            handler=RECORDS_HANDLER,
            environment=settings.to_environ(),
            timeout=_FUNCTION_TIMEOUT,
            memory_size=512,
            role_description="Record function: update file records, write run reports, publish run summaries.",
            description="Keeps each file's record from its job's state changes; reports finished runs.",
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.function = function.function
        role = function.role
        """The record function."""
        self.function.add_event_source(
            aws_lambda_event_sources.SqsEventSource(
                self.queue,
                batch_size=100,
                max_batching_window=Duration.seconds(5),
                max_concurrency=5,
                report_batch_item_failures=True,
            )
        )

        table.grant(role, *_TABLE_ACTIONS)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_text(role, table.table_arn)}/index/*]",
            "The record function queries the file-records table's own indexes (by run, by job).",
        )
        grant_object_write(output_bucket, role, f"{RUN_REPORT_PREFIX}*")
        if manifest_prefix is not None:
            # A packed child's final event: its files' outcomes, beside the manifest.
            grant_object_read(output_bucket, role, f"{manifest_prefix}*/{OUTCOMES_FOLDER}/*")
            # A child that wrote no outcomes: 404 (its files keep its status), not 403 (retried).
            grant_missing_objects_read_as_missing(output_bucket, role)
        topic.grant_publish(role)
        self.queue.grant_send_messages(role)
