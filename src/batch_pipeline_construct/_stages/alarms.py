"""CloudWatch alarms on the pipeline's health: dead letters, arrival errors and failed jobs."""

from __future__ import annotations

from aws_cdk import (
    aws_batch,
    aws_cloudwatch,
    aws_cloudwatch_actions,
    aws_events,
    aws_lambda,
    aws_sns,
    aws_sqs,
)
from constructs import Construct

from ..options import AlarmOptions
from .completion import finished_jobs_pattern


class PipelineAlarms(Construct):
    """Alarms that fire when a file waits for an operator, the arrival function fails, or jobs fail."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: AlarmOptions,
        topic: aws_sns.ITopic,
        dead_letter_queues: dict[str, aws_sqs.IQueue],
        arrival_function: aws_lambda.IFunction,
        job_queue: aws_batch.IJobQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        # A rule with no target still counts its matches in CloudWatch (AWS/Events MatchedEvents),
        # which is the one per-queue measure of failed jobs that AWS Batch offers.
        self.failed_jobs_rule = aws_events.Rule(
            self,
            "FailedJobsRule",
            description="Counts this pipeline's failed jobs for the failed-jobs alarm.",
            event_pattern=finished_jobs_pattern(job_queue, ["FAILED"]),
        )
        """The target-less rule whose MatchedEvents metric counts failed jobs."""

        metrics: dict[str, tuple[aws_cloudwatch.Metric, int, str]] = {
            name: (
                queue.metric_approximate_number_of_messages_visible(
                    period=options.period, statistic=aws_cloudwatch.Stats.MAXIMUM
                ),
                1,
                f"Messages are waiting in the {name} dead-letter queue for an operator.",
            )
            for name, queue in dead_letter_queues.items()
        }
        metrics["ArrivalErrors"] = (
            arrival_function.metric_errors(
                period=options.period, statistic=aws_cloudwatch.Stats.SUM
            ),
            1,
            "The arrival function failed; its records return to the queue and are retried.",
        )
        metrics["FailedJobs"] = (
            aws_cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="MatchedEvents",
                dimensions_map={"RuleName": self.failed_jobs_rule.rule_name},
                period=options.period,
                statistic=aws_cloudwatch.Stats.SUM,
            ),
            options.failed_jobs_threshold,
            "Jobs of this pipeline failed.",
        )
        self.alarms: list[aws_cloudwatch.Alarm] = []
        """Every alarm of the pipeline, each notifying ``AlarmOptions.topic``."""
        action = aws_cloudwatch_actions.SnsAction(topic)
        for name, (metric, threshold, description) in metrics.items():
            alarm = metric.create_alarm(
                self,
                f"{name}Alarm",
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            alarm.add_alarm_action(action)
            self.alarms.append(alarm)
