"""Completion: the EventBridge rule for this queue's finished jobs, and the SNS topic it feeds."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import (
    aws_batch,
    aws_events,
    aws_events_targets,
    aws_iam,
    aws_kms,
    aws_sns,
    aws_sns_subscriptions,
)
from constructs import Construct

from ..errors import PipelineConfigurationError
from ..runtime.job.contract import (
    INPUT_URI_PARAMETER,
    MANIFEST_URI_PARAMETER,
    OUTPUT_URI_PARAMETER,
)
from .permissions import acknowledge
from .queues import DEAD_LETTER_RETENTION, secure_queue

FINISHED_STATUSES = ("SUCCEEDED", "FAILED")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def finished_jobs_pattern(
    job_queue: aws_batch.IJobQueue, statuses: Sequence[str]
) -> aws_events.EventPattern:
    """The pattern of this queue's (and only this queue's) ``Batch Job State Change`` events."""
    return aws_events.EventPattern(
        source=["aws.batch"],
        detail_type=["Batch Job State Change"],
        detail={"jobQueue": [job_queue.job_queue_arn], "status": list(statuses)},
    )


def completion_message() -> aws_events.RuleTargetInput:
    """What subscribers receive: which file, which job, which status and why, where the output is.

    In bulk mode ``manifestUri`` and ``arrayIndex`` name the file instead: entry ``arrayIndex`` of
    the manifest. Fields an event does not carry (``manifestUri`` in per-file mode, ``exitCode`` of a
    job that never started) are null.
    """
    field = aws_events.EventField.from_path
    return aws_events.RuleTargetInput.from_object(
        {
            "status": field("$.detail.status"),
            "statusReason": field("$.detail.statusReason"),
            "exitCode": field("$.detail.container.exitCode"),
            "jobId": field("$.detail.jobId"),
            "jobName": field("$.detail.jobName"),
            "jobQueue": field("$.detail.jobQueue"),
            INPUT_URI_PARAMETER: field(f"$.detail.parameters.{INPUT_URI_PARAMETER}"),
            OUTPUT_URI_PARAMETER: field(f"$.detail.parameters.{OUTPUT_URI_PARAMETER}"),
            MANIFEST_URI_PARAMETER: field(f"$.detail.parameters.{MANIFEST_URI_PARAMETER}"),
            "arrayIndex": field("$.detail.arrayProperties.index"),
            "time": field("$.time"),
        }
    )


class PipelineCompletion(Construct):
    """Publishes each job's SUCCEEDED or FAILED event, as a readable message, to the completion topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        job_queue: aws_batch.IJobQueue,
        topic: aws_sns.ITopic | None,
        topic_encryption_key: aws_kms.IKey | None,
        notification_emails: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        if topic is not None and topic_encryption_key is not None:
            raise PipelineConfigurationError(
                "topic_encryption_key",
                topic_encryption_key.node.path,
                "applies only to the topic the pipeline creates, and completion_topic was given",
            )
        if isinstance(notification_emails, str):
            raise PipelineConfigurationError(
                "notification_emails",
                notification_emails,
                "give a list of addresses, e.g. ['ops@example.com']",
            )
        for address in notification_emails:
            if not _EMAIL.match(address):
                raise PipelineConfigurationError(
                    "notification_emails", address, "each entry is an e-mail address"
                )

        self.topic: aws_sns.ITopic = topic or aws_sns.Topic(
            self,
            "Topic",
            enforce_ssl=True,
            master_key=topic_encryption_key,
            display_name="Batch pipeline jobs",
        )
        """The completion topic: one message per job that SUCCEEDED or FAILED."""
        if topic_encryption_key is not None:
            # EventBridge must be able to encrypt what it publishes to a KMS-encrypted topic.
            topic_encryption_key.grant(
                aws_iam.ServicePrincipal("events.amazonaws.com"),
                "kms:Decrypt",
                "kms:GenerateDataKey*",
            )
        for address in notification_emails:
            self.topic.add_subscription(aws_sns_subscriptions.EmailSubscription(address))

        self.dead_letter_queue = secure_queue(
            self, "DeadLetterQueue", retention_period=DEAD_LETTER_RETENTION
        )
        """Events EventBridge could not deliver to the topic after its retries."""
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the completion rule's target's. cdk-nag sees only SQS redrive.",
        )
        self.rule = aws_events.Rule(
            self,
            "Rule",
            description="This pipeline's job queue: jobs that SUCCEEDED or FAILED.",
            event_pattern=finished_jobs_pattern(job_queue, FINISHED_STATUSES),
            targets=[
                aws_events_targets.SnsTopic(
                    self.topic,
                    message=completion_message(),
                    dead_letter_queue=self.dead_letter_queue,
                )
            ],
        )
        """The EventBridge rule that feeds the completion topic."""
