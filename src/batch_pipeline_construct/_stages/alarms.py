"""CloudWatch alarms on the pipeline's health: dead letters, arrival errors and failed jobs.

The metrics come from ``BatchFilePipeline.metric_*`` (``metrics.py``); this module only alarms.
"""

from __future__ import annotations

from aws_cdk import (
    ArnFormat,
    Stack,
    aws_cloudwatch,
    aws_cloudwatch_actions,
    aws_iam,
    aws_sns,
)
from constructs import Construct

from ..options import AlarmOptions

_CLOUDWATCH = "cloudwatch.amazonaws.com"


class PipelineAlarms(Construct):
    """Alarms that fire when a file waits for an operator, the arrival function fails, or jobs fail.

    A topic's resource policy replaces SNS's default one, so CloudWatch may publish to the topic
    only if it says so: the alarms allow ``cloudwatch.amazonaws.com`` to publish for exactly
    these alarms (``aws:SourceArn``) of this account (``aws:SourceAccount``), and to use the
    topic's KMS key. On a topic imported from elsewhere, neither can be added: see README.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: AlarmOptions,
        topic: aws_sns.ITopic,
        dead_letters: dict[str, aws_cloudwatch.IMetric],
        arrival_errors: aws_cloudwatch.IMetric,
        failed_jobs: aws_cloudwatch.IMetric,
    ) -> None:
        super().__init__(scope, construct_id)
        metrics: dict[str, tuple[aws_cloudwatch.IMetric, int, str]] = {
            name: (
                metric,
                1,
                f"Messages are waiting in the {name} dead-letter queue for an operator.",
            )
            for name, metric in dead_letters.items()
        }
        metrics["ArrivalErrors"] = (
            arrival_errors,
            1,
            "The arrival function failed; its records return to the queue and are retried.",
        )
        metrics["FailedJobs"] = (
            failed_jobs,
            options.failed_jobs_threshold,
            "Jobs of this pipeline failed.",
        )
        self.alarms: list[aws_cloudwatch.Alarm] = []
        """Every alarm of the pipeline, each notifying ``AlarmOptions.topic``."""
        action = aws_cloudwatch_actions.SnsAction(topic)
        for name, (metric, threshold, description) in metrics.items():
            alarm = aws_cloudwatch.Alarm(
                self,
                f"{name}Alarm",
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            alarm.add_alarm_action(action)
            self.alarms.append(alarm)
        _allow_alarms_to_publish(topic, self.alarms)


def _allow_alarms_to_publish(topic: aws_sns.ITopic, alarms: list[aws_cloudwatch.Alarm]) -> None:
    """Let CloudWatch publish these alarms to ``topic`` and encrypt them with its key, if any.

    A topic in another stack names no alarm of this stack (a reference back would make the two
    stacks depend on each other): it allows this account's alarms in its Region instead.
    """
    topic_stack = Stack.of(topic)
    account = topic_stack.account
    same_stack = all(Stack.of(alarm) is topic_stack for alarm in alarms)
    source_arns = (
        [alarm.alarm_arn for alarm in alarms]
        if same_stack
        else [
            topic_stack.format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name="*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
        ]
    )
    topic.add_to_resource_policy(
        aws_iam.PolicyStatement(
            principals=[aws_iam.ServicePrincipal(_CLOUDWATCH)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": source_arns},
            },
        )
    )
    key = topic.master_key if isinstance(topic, aws_sns.Topic) else None
    if key is not None:
        key.add_to_resource_policy(
            aws_iam.PolicyStatement(
                principals=[aws_iam.ServicePrincipal(_CLOUDWATCH)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
