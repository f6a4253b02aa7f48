"""Completion: EventBridge rules for this queue's finished jobs, and the SNS topic they feed.

EventBridge's input transformer creates no variable for a path an event lacks, so one template
cannot serve every Batch event: a per-file job has no ``arrayProperties``, an array parent and a
job that failed before it started have no ``container.exitCode``, and ``statusReason`` is not
promised. Each rule therefore matches one *shape* of event with ``exists`` filters, and its
template names only paths every event of that shape has; a field the shape lacks is a literal
``null``. The shapes partition the events, so each finished job is published exactly once.

The log stream is the exception: its placeholder sits inside a JSON string, so an event without
``container.logStreamName`` (a job cancelled while RUNNABLE, an array parent) gets ``""`` rather
than a rule of its own for each shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from aws_cdk import (
    Duration,
    aws_batch,
    aws_cloudwatch,
    aws_events,
    aws_events_targets,
    aws_iam,
    aws_kms,
    aws_logs,
    aws_sns,
    aws_sns_subscriptions,
)
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from ..options import EmailNotifications
from ..runtime.job.contract import (
    INPUT_URI_PARAMETER,
    MANIFEST_URI_PARAMETER,
    OUTPUT_URI_PARAMETER,
)
from ..runtime.messages import JOB, JOB_MESSAGE_FIELDS, KIND, STATUS
from .permissions import acknowledge
from .queues import DEAD_LETTER_RETENTION, secure_queue

FINISHED_STATUSES = ("SUCCEEDED", "FAILED")

# Paths every Batch Job State Change event has (AWS's sample event and DescribeJobs' JobDetail).
_ALWAYS = {
    "status": "$.detail.status",
    "jobId": "$.detail.jobId",
    "jobName": "$.detail.jobName",
    "jobQueue": "$.detail.jobQueue",
    "time": "$.time",
}
# Paths some events of a shape have and others lack: each splits the shape's rule in two.
_SOMETIMES = {
    "statusReason": "$.detail.statusReason",
    "exitCode": "$.detail.container.exitCode",
}
_ARRAY_INDEX = "$.detail.arrayProperties.index"
_ARRAY_SIZE = "$.detail.arrayProperties.size"
_MANIFEST_URI = f"$.detail.parameters.{MANIFEST_URI_PARAMETER}"
# Batch names the stream when the container reaches RUNNING; inside quotes, absent is "".
_LOG_STREAM_FIELD = "logStreamName"
_LOG_STREAM = "$.detail.container.logStreamName"


@dataclass(frozen=True)
class EventShape:
    """One kind of Batch job event the pipeline produces, told apart by the paths it has."""

    job_type: str
    """The message's ``jobType``."""
    present: Mapping[str, str]
    """Message field -> event path that every event of this shape has."""
    absent: Sequence[str]
    """Event paths no event of this shape has (what tells it from the other shapes)."""
    sometimes: Sequence[str]
    """Fields of ``_SOMETIMES`` that events of this shape may or may not have."""


EVENT_SHAPES = (
    EventShape(
        "file",
        present={
            "inputUri": f"$.detail.parameters.{INPUT_URI_PARAMETER}",
            "outputUri": f"$.detail.parameters.{OUTPUT_URI_PARAMETER}",
        },
        absent=(_ARRAY_INDEX, _ARRAY_SIZE),
        sometimes=("statusReason", "exitCode"),
    ),
    EventShape(
        "array-child",
        present={"manifestUri": _MANIFEST_URI, "arrayIndex": _ARRAY_INDEX},
        absent=(),
        sometimes=("statusReason", "exitCode"),
    ),
    EventShape(
        "array",
        present={"manifestUri": _MANIFEST_URI, "arraySize": _ARRAY_SIZE},
        absent=(_ARRAY_INDEX,),
        sometimes=("statusReason",),
    ),
)
"""The job events the pipeline publishes: per-file jobs, array children and array parents."""


def finished_jobs_pattern(
    job_queue: aws_batch.IJobQueue,
    statuses: Sequence[str],
    exists: Mapping[str, bool] | None = None,
) -> aws_events.EventPattern:
    """This queue's (and only this queue's) ``Batch Job State Change`` events.

    ``exists`` adds EventBridge ``exists`` filters: event path (``$.detail.…``) -> whether
    the event has it.
    """
    detail: dict[str, Any] = {"jobQueue": [job_queue.job_queue_arn], "status": list(statuses)}
    for path, present in (exists or {}).items():
        *parents, leaf = path.removeprefix("$.detail.").split(".")
        node = detail
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = [{"exists": present}]
    return aws_events.EventPattern(
        source=["aws.batch"], detail_type=["Batch Job State Change"], detail=detail
    )


class JobMessage(aws_events.RuleTargetInput):
    """The ``"job"`` message (``runtime.messages.JOB_MESSAGE_FIELDS``) for events of one shape.

    Fields the shape always has are EventBridge variables; fields it lacks are literal nulls,
    so the message is the same JSON object, with every field, for every event.
    """

    def __init__(self, job_type: str, paths: Mapping[str, str], log_group_name: str) -> None:
        super().__init__()
        self.job_type = job_type
        """The message's ``jobType``."""
        self.paths = {**paths, _LOG_STREAM_FIELD: _LOG_STREAM}
        """Message field -> event path, for the fields this template fills from the event."""
        self.log_group_name = log_group_name
        """The message's ``logGroup``: the job log group's name (a token until deployed)."""

    def bind(self, rule: IRuleRef) -> aws_events.RuleTargetInputProperties:
        """The input transformer: one variable per field taken from the event, named after it."""
        constants = {KIND: JOB, "jobType": self.job_type, "logGroup": self.log_group_name}
        parts = []
        for name in JOB_MESSAGE_FIELDS:
            if name == _LOG_STREAM_FIELD:
                value = f'"<{name}>"'
            elif name in self.paths:
                value = f"<{name}>"
            else:
                value = json.dumps(constants.get(name))
            parts.append(f"{json.dumps(name)}:{value}")
        return aws_events.RuleTargetInputProperties(
            input_template="{" + ",".join(parts) + "}", input_paths_map=self.paths
        )


@dataclass(frozen=True)
class ShapeRule:
    """One completion rule: the events it matches and the message it publishes for them."""

    construct_id: str
    """The rule's construct ID, e.g. ``FileWithStatusReasonNoExitCode``."""
    exists: Mapping[str, bool]
    """Event path -> whether the events it matches have it."""
    message: JobMessage
    """What subscribers receive."""


def shape_rules(bulk: bool, log_group_name: str) -> list[ShapeRule]:
    """One rule per event shape and per combination of the paths that shape only sometimes has.

    Only bulk mode submits array jobs, so a per-file pipeline needs only the per-file shape.
    ``log_group_name`` is the group the jobs log to, named in every message.
    """
    rules = []
    for shape in EVENT_SHAPES if bulk else EVENT_SHAPES[:1]:
        for has in product((True, False), repeat=len(shape.sometimes)):
            optional = dict(zip(shape.sometimes, has, strict=True))
            paths = {**_ALWAYS, **shape.present}
            paths.update({name: _SOMETIMES[name] for name, present in optional.items() if present})
            exists = {path: True for path in shape.present.values()}
            exists.update({path: False for path in shape.absent})
            exists.update({_SOMETIMES[name]: present for name, present in optional.items()})
            title = "".join(word.capitalize() for word in shape.job_type.split("-"))
            words = "".join(
                ("With" if present else "No") + name[0].upper() + name[1:]
                for name, present in optional.items()
            )
            message = JobMessage(shape.job_type, paths, log_group_name)
            rules.append(ShapeRule(title + words, exists, message))
    return rules


def email_filter_policy(choice: EmailNotifications) -> dict[str, aws_sns.FilterOrPolicy] | None:
    """The SNS filter policy, on the message body, of an e-mail subscription; None for every message.

    One field decides, so that alarms (AWS's format: no ``kind``, no ``status``) pass as well: a
    message passes unless it is what the choice leaves out, a job that SUCCEEDED or any job.
    """
    if choice is EmailNotifications.EVERY_JOB:
        return None
    field, left_out = (
        (STATUS, "SUCCEEDED")
        if choice is EmailNotifications.FAILURES_AND_SUMMARIES
        else (KIND, JOB)
    )
    # SNS ORs a field's conditions in any order; moto gives up at an ``anything-but`` on a field
    # the message lacks, so ``exists`` comes first and the tests evaluate the policy for real.
    conditions = [{"exists": False}, {"anything-but": [left_out]}]
    return {field: aws_sns.FilterOrPolicy.filter(aws_sns.SubscriptionFilter(conditions))}


class PipelineCompletion(Construct):
    """Publishes each job's SUCCEEDED or FAILED event, as a ``"job"`` message, to the completion topic.

    Also keeps the raw events of failed jobs (not array parents) in a queue: its rule has a real
    target, so EventBridge's documented ``Invocations`` metric counts failed jobs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        job_queue: aws_batch.IJobQueue,
        job_log_group: aws_logs.ILogGroup,
        topic: aws_sns.ITopic | None,
        topic_encryption_key: aws_kms.IKey | None,
        notification_emails: Sequence[str],
        bulk: bool,
        email_filter: EmailNotifications,
    ) -> None:
        super().__init__(scope, construct_id)
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
            self.topic.add_subscription(
                aws_sns_subscriptions.EmailSubscription(
                    address, filter_policy_with_message_body=email_filter_policy(email_filter)
                )
            )

        self.dead_letter_queue = secure_queue(
            self, "DeadLetterQueue", retention_period=DEAD_LETTER_RETENTION
        )
        """Events EventBridge could not deliver to their target after its retries."""
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the completion rules' targets'. cdk-nag sees only SQS redrive.",
        )
        self.shape_rules = shape_rules(bulk, job_log_group.log_group_name)
        """What each of ``rules`` matches and publishes, in the same order."""
        self.rules: list[aws_events.Rule] = [
            aws_events.Rule(
                self,
                rule.construct_id,
                description=f"This pipeline's finished jobs, shape {rule.construct_id}.",
                event_pattern=finished_jobs_pattern(job_queue, FINISHED_STATUSES, rule.exists),
                targets=[
                    aws_events_targets.SnsTopic(
                        self.topic, message=rule.message, dead_letter_queue=self.dead_letter_queue
                    )
                ],
            )
            for rule in self.shape_rules
        ]
        """The EventBridge rules that feed the topic, one per event shape; each job matches one."""

        self.failed_job_events = secure_queue(
            self, "FailedJobEvents", retention_period=DEAD_LETTER_RETENTION
        )
        """The Batch event of each failed job (array parents aside), as EventBridge sent it."""
        acknowledge(
            self.failed_job_events,
            "AwsSolutions-SQS3",
            "A record of failed jobs' events for operators to read; nothing consumes it, so nothing is redriven.",
        )
        self.failed_jobs_rule = aws_events.Rule(
            self,
            "FailedJobs",
            description="This pipeline's failed jobs (array parents aside), counted by its Invocations metric.",
            event_pattern=finished_jobs_pattern(job_queue, ["FAILED"], {_ARRAY_SIZE: False}),
            targets=[
                aws_events_targets.SqsQueue(
                    self.failed_job_events, dead_letter_queue=self.dead_letter_queue
                )
            ],
        )
        """The rule that sends each failed job's event to ``failed_job_events``."""

    def metric_failed_jobs(
        self,
        *,
        period: Duration | None = None,
        statistic: str = aws_cloudwatch.Stats.SUM,
    ) -> aws_cloudwatch.Metric:
        """Failed jobs (per-file jobs and array children, not array parents) per ``period``.

        EventBridge's ``AWS/Events`` ``Invocations`` of the failed-jobs rule: one per failed job's
        event delivered to its target. Batch sends events at least once, so a rare duplicate
        counts twice.
        """
        return aws_cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="Invocations",
            dimensions_map={"RuleName": self.failed_jobs_rule.rule_name},
            period=period or Duration.minutes(5),
            statistic=statistic,
        )
