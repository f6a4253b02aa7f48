"""``BatchFilePipeline``: every file that lands in the input bucket is processed by an AWS Batch job."""

from __future__ import annotations

import os
from typing import Never

from aws_cdk import (
    Duration,
    RemovalPolicy,
    aws_batch,
    aws_budgets,
    aws_cloudwatch,
    aws_dynamodb,
    aws_ec2,
    aws_efs,
    aws_events,
    aws_iam,
    aws_lambda,
    aws_logs,
    aws_s3,
    aws_sns,
    aws_sqs,
)
from constructs import Construct

from ._prop_types import raise_for_wrong_types
from ._stages.alarms import PipelineAlarms
from ._stages.arrival import ArrivalPath
from ._stages.completion import PipelineCompletion
from ._stages.compute import PipelineCompute
from ._stages.cost_guard import CostGuard
from ._stages.dashboard import PipelineDashboard
from ._stages.helper_logs import bound_helper_logs
from ._stages.metrics import PipelineMetrics
from ._stages.permissions import (
    grant_missing_objects_read_as_missing,
    grant_object_read,
    grant_object_write,
    grant_submit_to_every_revision,
)
from ._stages.records import PipelineRecords
from ._stages.security import acknowledge_unavoidable_findings
from ._stages.storage import PipelineStorage
from ._validation import validate_props
from .options import (
    AlarmOptions,
    ArrivalOptions,
    BucketOptions,
    BulkOptions,
    ComputeOptions,
    CostGuardOptions,
    JobOptions,
    NotificationOptions,
    PerFileOptions,
    RecordOptions,
    SharedDataOptions,
    TriggerOptions,
)
from .runtime.job.manifest import OUTCOMES_FOLDER


class BatchFilePipeline(Construct):
    """An S3 -> SQS -> Lambda -> AWS Batch -> S3 pipeline that runs your container on every new file.

    A file that lands in ``input_bucket`` is queued, the arrival function submits one AWS Batch job
    for it (or, with ``mode=BulkOptions()``, one array job for many files), the job runs the image built from
    ``dockerfile_path`` and writes to ``output_bucket``, and each job that SUCCEEDED or FAILED is
    published to ``completion_topic``. Every job gets the job contract's environment variables
    (``INPUT_BUCKET``, ``INPUT_KEY``, ``INPUT_URI``, ``OUTPUT_BUCKET``, ``OUTPUT_PREFIX``,
    ``OUTPUT_URI``). Defaults are secure and cost nothing while idle.

    Example::

        pipeline = BatchFilePipeline(self, "Pipeline", dockerfile_path="container")
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dockerfile_path: str | os.PathLike[str],
        compute: ComputeOptions | None = None,
        job: JobOptions | None = None,
        trigger: TriggerOptions | None = None,
        mode: PerFileOptions | BulkOptions | None = None,
        arrival: ArrivalOptions | None = None,
        alarms: AlarmOptions | None = None,
        records: RecordOptions | None = None,
        input_bucket: aws_s3.IBucket | None = None,
        output_bucket: aws_s3.IBucket | None = None,
        bucket_options: BucketOptions | None = None,
        output_prefix: str = "",
        vpc: aws_ec2.IVpc | None = None,
        completion_topic: aws_sns.ITopic | None = None,
        notifications: NotificationOptions | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: aws_logs.RetentionDays = aws_logs.RetentionDays.THREE_MONTHS,
        dashboard: bool = False,
        cost_guard: CostGuardOptions | None = None,
        shared_data: SharedDataOptions | None = None,
        **not_props: Never,
    ) -> None:
        """Build the pipeline.

        :param scope: The construct this pipeline belongs to, usually your ``Stack``.
        :param construct_id: The pipeline's ID, unique within ``scope``.
        :param dockerfile_path: A folder holding a ``Dockerfile``, or a Dockerfile's path (its folder is the build context). Relative paths start at the current directory.
        :param compute: Fargate or EC2, Spot, instance types, max vCPUs, subnets. Default: Fargate, on-demand, 256 vCPUs at most.
        :param job: vCPUs, memory, GPUs, command, extra environment, timeout, retries. Default: 1 vCPU, 2 GiB, 1 hour, 3 attempts.
        :param trigger: Which keys start a job (prefix, suffixes). Default: every new object.
        :param mode: How files become jobs: ``PerFileOptions()`` (one job per file) or ``BulkOptions()`` (array jobs from manifests), each with the tuning that applies to it. Default: per-file mode.
        :param arrival: The arrival queue's redelivery and the per-file record, in either mode. Default: see ArrivalOptions.
        :param alarms: Health alarms and where they notify. Default: on, notifying the completion topic.
        :param records: Retention of the per-file records and the quiet gap that ends a run. Default: 90 days, 5 minutes.
        :param input_bucket: Use this existing bucket for input. Default: a new bucket.
        :param output_bucket: Use this existing bucket for output. Default: a new bucket.
        :param bucket_options: Encryption, versioning and access logs of the buckets the pipeline creates. Default: SSE-S3, versioned input, a log bucket.
        :param output_prefix: Prefix of every job's output, e.g. ``"results/"``. Default: none (the input key).
        :param vpc: Run jobs in this VPC (share one between pipelines). Default: a new VPC with public subnets and no NAT gateway.
        :param completion_topic: Publish job completions to this topic. Default: a new topic.
        :param notifications: E-mail subscriptions and the new topic's KMS key. Default: no subscriptions, no KMS.
        :param removal_policy: What happens to buckets, logs and the per-file record table when the stack is deleted. Default: RETAIN.
        :param log_retention: Retention of every log group the pipeline creates. Default: three months.
        :param cost_guard: A monthly budget for the pipeline's compute; past its forecast threshold the pipeline stops taking new jobs until resumed. Default: off.
        :param shared_data: An Amazon EFS file system mounted into every job (read-only by default) through an access point, with IAM authorization and TLS; its mount path reaches jobs as ``SHARED_DATA_DIR``. Default: none.
        :param not_props: Nothing: a name that is not a prop (one of an earlier version, a typo) fails with ``PipelineConfigurationError`` saying what to write instead; type checkers flag it too.
        :param dashboard: Create a CloudWatch dashboard of the pipeline's metrics ($3 a month beyond an account's first three dashboards). Default: off.
        """
        raise_for_wrong_types(BatchFilePipeline.__init__, locals())
        super().__init__(scope, construct_id)
        compute = compute or ComputeOptions()
        job = job or JobOptions()
        trigger = trigger or TriggerOptions()
        mode = mode or PerFileOptions()
        arrival = arrival or ArrivalOptions()
        alarms = alarms or AlarmOptions()
        records = records or RecordOptions()
        notifications = notifications or NotificationOptions()
        validate_props(
            compute=compute,
            job=job,
            trigger=trigger,
            mode=mode,
            arrival=arrival,
            alarms=alarms,
            notifications=notifications,
            input_bucket=input_bucket,
            output_bucket=output_bucket,
            output_prefix=output_prefix,
            vpc=vpc,
            completion_topic=completion_topic,
            cost_guard=cost_guard,
            shared_data=shared_data,
        )
        records.validate()
        bulk = mode if isinstance(mode, BulkOptions) else None

        storage = PipelineStorage(
            self,
            "Storage",
            input_bucket=input_bucket,
            output_bucket=output_bucket,
            bucket_options=bucket_options,
            removal_policy=removal_policy,
        )
        compute_parts = PipelineCompute(
            self,
            "Compute",
            dockerfile_path=dockerfile_path,
            compute=compute,
            job=job,
            vpc=vpc,
            vpc_subnets=compute.subnets,
            log_retention=log_retention,
            removal_policy=removal_policy,
            shared_data=shared_data,
        )
        arrival_path = ArrivalPath(
            self,
            "Arrival",
            input_bucket=storage.input_bucket,
            output_bucket=storage.output_bucket,
            job_queue=compute_parts.job_queue,
            job_definition=compute_parts.job_definition,
            trigger=trigger,
            arrival=arrival,
            record_retention=records.retention,
            mode=mode,
            packing=None if bulk is None else bulk.packing.settings_for(job, compute),
            job_sizes=tuple(job_size.to_runtime() for job_size in job.sizes),
            output_prefix=output_prefix,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        completion = PipelineCompletion(
            self,
            "Completion",
            job_queue=compute_parts.job_queue,
            job_log_group=compute_parts.log_group,
            topic=completion_topic,
            topic_encryption_key=notifications.topic_encryption_key,
            notification_emails=notifications.emails,
            bulk=bulk is not None,
            email_filter=notifications.email_filter,
        )
        record_stage = (
            None
            if arrival_path.file_records is None
            else PipelineRecords(
                self,
                "Records",
                table=arrival_path.file_records,
                job_queue=compute_parts.job_queue,
                output_bucket=storage.output_bucket,
                output_prefix=output_prefix,
                manifest_prefix=None if bulk is None else bulk.manifest_prefix,
                topic=completion.topic,
                job_log_group=compute_parts.log_group,
                dead_letter_queue=completion.dead_letter_queue,
                options=records,
                log_retention=log_retention,
                removal_policy=removal_policy,
            )
        )

        grant_object_read(storage.input_bucket, compute_parts.job_role)
        grant_object_write(storage.output_bucket, compute_parts.job_role, f"{output_prefix}*")
        if bulk is not None:
            grant_object_read(
                storage.output_bucket, compute_parts.job_role, f"{bulk.manifest_prefix}*"
            )
            # Each array child records its files' outcomes beside the manifest (outcomes_uri).
            grant_object_write(
                storage.output_bucket,
                compute_parts.job_role,
                f"{bulk.manifest_prefix}*/{OUTCOMES_FOLDER}/*",
            )
            # A child's first attempt finds no outcomes object: 404, not 403, only with this.
            grant_missing_objects_read_as_missing(storage.output_bucket, compute_parts.job_role)

        self.input_bucket: aws_s3.IBucket = storage.input_bucket
        """Where users drop files; each new object (matching ``trigger``) starts a job."""
        self.output_bucket: aws_s3.IBucket = storage.output_bucket
        """Where jobs write their results, under ``OUTPUT_PREFIX``."""
        self.access_logs_bucket: aws_s3.IBucket | None = storage.access_logs_bucket
        """Server access logs of the pipeline's buckets (None when the pipeline creates no bucket)."""
        self.vpc: aws_ec2.IVpc = compute_parts.vpc
        """The VPC the jobs run in."""
        self.compute_environment: (
            aws_batch.FargateComputeEnvironment | aws_batch.ManagedEc2EcsComputeEnvironment
        ) = compute_parts.compute_environment
        """The AWS Batch compute environment; it scales to zero when no job is queued."""
        self.job_queue: aws_batch.JobQueue = compute_parts.job_queue
        """The AWS Batch job queue the arrival function submits to."""
        self.job_definition: aws_batch.EcsJobDefinition = compute_parts.job_definition
        """The job definition; jobs run its latest active revision."""
        self.job_role: aws_iam.IRole = compute_parts.job_role
        """The role of the job containers: reads the input bucket, writes the output bucket."""
        self.job_log_group: aws_logs.ILogGroup = compute_parts.log_group
        """Where jobs' standard output and error go."""
        shared = compute_parts.shared_data
        self.shared_file_system: aws_efs.IFileSystem | None = (
            None if shared is None else shared.file_system
        )
        """The file system every job mounts at ``SHARED_DATA_DIR`` (the one passed in
        ``shared_data``, or the one the pipeline created); None without ``shared_data``."""
        self.shared_data_access_point: aws_efs.AccessPoint | None = (
            None if shared is None else shared.access_point
        )
        """The access point jobs mount the shared file system through; None without ``shared_data``."""
        self.arrival_function: aws_lambda.Function = arrival_path.function
        """The Lambda that submits a job for each file that arrives."""
        self.arrival_queue: aws_sqs.Queue = arrival_path.queue
        """The SQS queue between the input bucket and the arrival function."""
        self.arrival_dead_letter_queue: aws_sqs.Queue = arrival_path.dead_letter_queue
        """Arrivals that could not be submitted, and malformed messages; re-drive them with the operator CLI."""
        self.file_records: aws_dynamodb.TableV2 | None = arrival_path.file_records
        """The per-file record: one item per object version that arrived (keyed as
        ``runtime.settings.PARTITION_KEY``), written by the arrival function and extended by later
        stages; it also suppresses duplicate deliveries. None when ``arrival.file_records`` is off."""
        self.completion_topic: aws_sns.ITopic = completion.topic
        """The SNS topic that receives one message per job that SUCCEEDED or FAILED."""
        self.completion_rules: list[aws_events.Rule] = completion.rules
        """The EventBridge rules that feed ``completion_topic``, one per shape of job event (per-file
        job; in bulk mode also array child and array parent; each with and without a status
        reason and an exit code): 4, or 10 in bulk mode. Each finished job matches exactly one."""
        self.failed_job_events: aws_sqs.Queue = completion.failed_job_events
        """The Batch event of each failed job (array parents aside), kept 14 days for operators."""
        self._completion = completion
        self.completion_dead_letter_queue: aws_sqs.Queue = completion.dead_letter_queue
        """Completion events EventBridge could not deliver to the topic, and job events the record function could not apply."""
        self.record_function: aws_lambda.Function | None = (
            None if record_stage is None else record_stage.function
        )
        """The Lambda that keeps each file's record from its job's state changes and reports each
        finished run (None when ``arrival.file_records`` is off)."""
        self._metrics = PipelineMetrics(
            self,
            "Metrics",
            arrival_queue=arrival_path.queue,
            arrival_dead_letter_queue=arrival_path.dead_letter_queue,
            arrival_function=arrival_path.function,
            arrival_log_group=arrival_path.log_group,
            completion=completion,
        )
        self._upload_prefix = trigger.prefix or ""
        self._output_prefix = output_prefix
        self.alarms: list[aws_cloudwatch.Alarm] = []
        """The health alarms (empty when ``alarms.enabled`` is off)."""
        if alarms.enabled:
            self.alarms = PipelineAlarms(
                self,
                "Alarms",
                options=alarms,
                topic=alarms.topic or completion.topic,
                dead_letters={
                    "Arrival": self.metric_dead_letters(period=alarms.period),
                    "Completion": self.metric_completion_dead_letters(period=alarms.period),
                },
                arrival_errors=self.metric_arrival_errors(period=alarms.period),
                failed_jobs=self.metric_failed_jobs(period=alarms.period),
            ).alarms
        self.budget: aws_budgets.CfnBudget | None = None
        """The cost guard's monthly budget (None unless ``cost_guard``)."""
        self.budget_alerts: aws_sns.Topic | None = None
        """The topic the budget's forecast alert goes to (None unless ``cost_guard``)."""
        self.cost_guard_function: aws_lambda.Function | None = None
        """The function that stops the pipeline on the alert (None unless ``cost_guard``)."""
        if cost_guard is not None:
            guard = CostGuard(
                self,
                "CostGuard",
                options=cost_guard,
                job_queue=compute_parts.job_queue,
                job_definition=compute_parts.job_definition,
                compute_environment=compute_parts.compute_environment,
                event_source_mapping_id=arrival_path.event_source.event_source_mapping_id,
                completion_topic=completion.topic,
                log_retention=log_retention,
                removal_policy=removal_policy,
            )
            self.budget = guard.budget
            self.budget_alerts = guard.alerts
            self.cost_guard_function = guard.function
        self.dashboard: aws_cloudwatch.Dashboard | None = None
        """The CloudWatch dashboard (None unless ``dashboard`` is on)."""
        if dashboard:
            self.dashboard = PipelineDashboard(
                self, "Dashboard", graphs=self._dashboard_graphs()
            ).dashboard
        acknowledge_unavoidable_findings(self)
        bound_helper_logs(self, log_retention, removal_policy)

    def _dashboard_graphs(self) -> dict[str, list[aws_cloudwatch.IMetric]]:
        return {
            "Files": [
                self.metric_files_arrived().with_(label="arrived"),
                self.metric_files_submitted().with_(label="submitted"),
            ],
            # FAILED first: the SUCCEEDED expression uses the same metric, and the graph keeps the
            # first occurrence's label.
            "Finished jobs by state": [
                self.metric_failed_jobs().with_(label="FAILED"),
                self.metric_succeeded_jobs().with_(label="SUCCEEDED"),
            ],
            "Arrival queue": [
                self.metric_queue_depth().with_(label="files waiting"),
                self.metric_queue_age().with_(label="oldest waiting (s)"),
            ],
            "Dead letters": [
                self.metric_dead_letters().with_(label="arrivals"),
                self.metric_completion_dead_letters().with_(label="completion events"),
            ],
            "Arrival function errors": [self.metric_arrival_errors().with_(label="errors")],
            "Arrival function duration": [
                self.metric_arrival_duration().with_(label="average (ms)"),
                self.metric_arrival_duration(statistic=aws_cloudwatch.Stats.MAXIMUM).with_(
                    label="maximum (ms)"
                ),
            ],
        }

    # --- grants: what a user's role, function or team needs to use the pipeline --------------

    def grant_upload(self, grantee: aws_iam.IGrantable) -> aws_iam.Grant:
        """Let ``grantee`` put files into the input bucket (under ``trigger.prefix``), which starts
        their jobs; with a KMS-encrypted bucket, the key is granted too."""
        return self.input_bucket.grant_put(grantee, f"{self._upload_prefix}*")

    def grant_read_results(self, grantee: aws_iam.IGrantable) -> aws_iam.Grant:
        """Let ``grantee`` read the jobs' results (the output bucket under ``output_prefix``)."""
        return self.output_bucket.grant_read(grantee, f"{self._output_prefix}*")

    def grant_submit_jobs(self, grantee: aws_iam.IGrantable) -> aws_iam.Grant:
        """Let ``grantee`` submit jobs to the pipeline's job queue with its job definition (any
        revision), as the arrival function does."""
        return grant_submit_to_every_revision(grantee, self.job_queue, self.job_definition)

    # --- metrics: the same ones the alarms and the dashboard use --------------------------------

    def metric_files_arrived(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.SUM
    ) -> aws_cloudwatch.Metric:
        """New objects that reached the arrival queue (S3 notifications sent to it) per ``period``.
        Default period: 5 minutes; statistic: sum."""
        return self._metrics.files_arrived(period, statistic)

    def metric_files_submitted(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.SUM
    ) -> aws_cloudwatch.Metric:
        """Files the arrival function submitted a job (or an array child) for, per ``period``:
        a log metric filter on its ``submitted`` lines. Default period: 5 minutes; statistic: sum."""
        return self._metrics.files_submitted(period, statistic)

    def metric_succeeded_jobs(
        self, *, period: Duration | None = None
    ) -> aws_cloudwatch.MathExpression:
        """Per-file jobs and array children that SUCCEEDED, per ``period`` (metric math over the
        completion rules' ``Invocations``). With packing, one array child covers several files.
        Default period: 5 minutes."""
        return self._metrics.succeeded_jobs(period)

    def metric_failed_jobs(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.SUM
    ) -> aws_cloudwatch.Metric:
        """Failed jobs of this pipeline (per-file jobs and array children) per ``period``.

        EventBridge's documented ``AWS/Events`` ``Invocations`` metric of the rule that sends each
        failed job's event to ``failed_job_events``. Default period: 5 minutes; statistic: sum.
        """
        return self._metrics.failed_jobs(period, statistic)

    def metric_queue_depth(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.MAXIMUM
    ) -> aws_cloudwatch.Metric:
        """Files waiting in the arrival queue. Default period: 5 minutes; statistic: maximum."""
        return self._metrics.queue_depth(period, statistic)

    def metric_queue_age(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.MAXIMUM
    ) -> aws_cloudwatch.Metric:
        """Age in seconds of the oldest file waiting in the arrival queue. Default period:
        5 minutes; statistic: maximum."""
        return self._metrics.queue_age(period, statistic)

    def metric_dead_letters(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.MAXIMUM
    ) -> aws_cloudwatch.Metric:
        """Arrivals waiting in ``arrival_dead_letter_queue`` for an operator. Default period:
        5 minutes; statistic: maximum."""
        return self._metrics.dead_letters(period, statistic)

    def metric_completion_dead_letters(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.MAXIMUM
    ) -> aws_cloudwatch.Metric:
        """Completion events waiting in ``completion_dead_letter_queue``. Default period:
        5 minutes; statistic: maximum."""
        return self._metrics.completion_dead_letters(period, statistic)

    def metric_arrival_errors(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.SUM
    ) -> aws_cloudwatch.Metric:
        """Failed invocations of the arrival function. Default period: 5 minutes; statistic: sum."""
        return self._metrics.arrival_errors(period, statistic)

    def metric_arrival_duration(
        self, *, period: Duration | None = None, statistic: str = aws_cloudwatch.Stats.AVERAGE
    ) -> aws_cloudwatch.Metric:
        """Duration of the arrival function's invocations in milliseconds. Default period:
        5 minutes; statistic: average."""
        return self._metrics.arrival_duration(period, statistic)
