"""The pipeline's CloudWatch metrics, defined once: ``BatchFilePipeline.metric_*`` return them,
the alarms and the dashboard use them.

Every metric is one AWS already publishes for free (SQS, Lambda, EventBridge) except files
submitted, which a log metric filter (made when first asked for) counts from the arrival
function's ``submitted`` lines: it publishes only while files arrive, so an idle pipeline still
costs nothing.
"""

from __future__ import annotations

from aws_cdk import Duration, Names, aws_cloudwatch, aws_lambda, aws_logs, aws_sqs
from constructs import Construct

from .completion import PipelineCompletion

DEFAULT_PERIOD = Duration.minutes(5)
"""The period of every metric unless the caller gives one."""
SUBMITTED_EVENT = "submitted"
"""The ``event`` of the arrival function's log line for each file it submitted a job for."""
_FINISHED_JOB_TYPES = ("file", "array-child")  # array parents are not jobs that ran a file


class PipelineMetrics(Construct):
    """The metrics of one pipeline, and the log metric filter that counts submitted files."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        arrival_queue: aws_sqs.IQueue,
        arrival_dead_letter_queue: aws_sqs.IQueue,
        arrival_function: aws_lambda.IFunction,
        arrival_log_group: aws_logs.ILogGroup,
        completion: PipelineCompletion,
    ) -> None:
        super().__init__(scope, construct_id)
        self._arrival_queue = arrival_queue
        self._arrival_dead_letter_queue = arrival_dead_letter_queue
        self._arrival_function = arrival_function
        self._completion = completion
        self._arrival_log_group = arrival_log_group
        self._submitted: aws_logs.MetricFilter | None = None

    def files_arrived(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """S3 notifications sent to the arrival queue (one per new object)."""
        return self._arrival_queue.metric_number_of_messages_sent(
            period=period or DEFAULT_PERIOD, statistic=statistic
        )

    def files_submitted(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """Files the arrival function submitted a job (or an array child) for.

        The log metric filter is created on first use, so a pipeline whose metric nobody reads
        has none.
        """
        if self._submitted is None:
            self._submitted = aws_logs.MetricFilter(
                self,
                "FilesSubmitted",
                log_group=self._arrival_log_group,
                filter_pattern=aws_logs.FilterPattern.string_value("$.event", "=", SUBMITTED_EVENT),
                metric_namespace=f"BatchFilePipeline/{Names.unique_id(self.node.scope)}",  # type: ignore[arg-type]
                metric_name="FilesSubmitted",
                metric_value="1",
            )
        return self._submitted.metric(period=period or DEFAULT_PERIOD, statistic=statistic)

    def failed_jobs(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """Failed per-file jobs and array children (the completion stage's failed-jobs rule)."""
        return self._completion.metric_failed_jobs(period=period, statistic=statistic)

    def succeeded_jobs(self, period: Duration | None) -> aws_cloudwatch.MathExpression:
        """Per-file jobs and array children that SUCCEEDED: those finished minus those failed.

        Each finished job matches exactly one completion rule, whose ``Invocations`` count it.
        """
        period = period or DEFAULT_PERIOD
        finished = {
            f"finished{n}": aws_cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="Invocations",
                dimensions_map={"RuleName": rule.rule_name},
                period=period,
                statistic=aws_cloudwatch.Stats.SUM,
            )
            for n, (rule, shape) in enumerate(
                zip(self._completion.rules, self._completion.shape_rules, strict=True)
            )
            if shape.message.job_type in _FINISHED_JOB_TYPES
        }
        return aws_cloudwatch.MathExpression(
            expression=f"{' + '.join(finished)} - failed",
            using_metrics={
                **finished,
                "failed": self.failed_jobs(period, aws_cloudwatch.Stats.SUM),
            },
            period=period,
            label="Jobs succeeded",
        )

    def queue_depth(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """Files waiting in the arrival queue."""
        return self._arrival_queue.metric_approximate_number_of_messages_visible(
            period=period or DEFAULT_PERIOD, statistic=statistic
        )

    def queue_age(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """Age in seconds of the oldest file waiting in the arrival queue."""
        return self._arrival_queue.metric_approximate_age_of_oldest_message(
            period=period or DEFAULT_PERIOD, statistic=statistic
        )

    def dead_letters(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """Arrivals waiting in the arrival dead-letter queue for an operator."""
        return self._arrival_dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=period or DEFAULT_PERIOD, statistic=statistic
        )

    def completion_dead_letters(
        self, period: Duration | None, statistic: str
    ) -> aws_cloudwatch.Metric:
        """Completion events EventBridge could not deliver, waiting in their dead-letter queue."""
        return self._completion.dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=period or DEFAULT_PERIOD, statistic=statistic
        )

    def arrival_errors(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """Failed invocations of the arrival function."""
        return self._arrival_function.metric_errors(
            period=period or DEFAULT_PERIOD, statistic=statistic
        )

    def arrival_duration(self, period: Duration | None, statistic: str) -> aws_cloudwatch.Metric:
        """How long the arrival function's invocations take (milliseconds)."""
        return self._arrival_function.metric_duration(
            period=period or DEFAULT_PERIOD, statistic=statistic
        )
