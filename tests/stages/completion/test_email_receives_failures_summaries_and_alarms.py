"""E-mail subscribers get failures, run summaries, cost-guard notices and alarms, not every success.

The topic carries every SUCCEEDED and FAILED job; each e-mail subscription has a filter policy on
the message body, chosen with ``NotificationOptions.email_filter``. For each choice, every kind of
message the topic carries is published to a topic in moto whose subscriber has the synthesized
subscription's filter policy and scope, so moto's own SNS filter-policy evaluator (message-body
scope, ``anything-but``, ``exists``) decides what is delivered. Job messages are what the
synthesized completion rules make of AWS-shaped Batch events (``deployed_rules``); the alarm is a
CloudWatch alarm notification in AWS's format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Template
from moto import mock_aws

from batch_pipeline_construct import BulkOptions, EmailNotifications, NotificationOptions
from batch_pipeline_construct.runtime.messages import COST_GUARD, JOB, KIND, RUN_SUMMARY
from tests.stages.completion.batch_job_events import FINISHED_EVENTS, LOG_STREAM, QUEUE_ARN
from tests.stages.completion.deployed_rules import LOG_GROUP, messages_for
from tests.support.pipeline_builders import resources, template_of

_RUN_SUMMARY = {
    KIND: RUN_SUMMARY,
    "runId": "20261124T220000Z-0a1b2c",
    "files": 3,
    "succeeded": 2,
    "failed": 1,
    "failedFiles": [{"key": "raw/report 2026.csv", "exitCode": 2, "reason": "…", "log": None}],
    "failedFilesOmitted": 0,
    "report": "s3://lab-output/_runs/20261124T220000Z-0a1b2c/report.csv",
}
_COST_GUARD = {
    KIND: COST_GUARD,
    "action": "stopped",
    "jobQueue": QUEUE_ARN,
    "reason": "monthly budget reached",
}
_ALARM = {
    "AlarmName": "lab-Pipeline-ArrivalDeadLetters",
    "AlarmDescription": "Files waiting in the arrival dead-letter queue.",
    "AWSAccountId": "123456789012",
    "AlarmConfigurationUpdatedTimestamp": "2026-11-24T09:00:00.000+0000",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).",
    "StateChangeTime": "2026-11-24T10:05:00.000+0000",
    "Region": "US East (N. Virginia)",
    "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:lab-Pipeline-ArrivalDeadLetters",
    "OldStateValue": "OK",
    "OKActions": [],
    "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:lab-Pipeline-Topic"],
    "InsufficientDataActions": [],
    "Trigger": {
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Namespace": "AWS/SQS",
        "StatisticType": "Statistic",
        "Statistic": "MAXIMUM",
        "Unit": None,
        "Dimensions": [{"value": "lab-Pipeline-ArrivalDLQ", "name": "QueueName"}],
        "Period": 300,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.0,
        "TreatMissingData": "missing",
        "EvaluateLowSampleCountPercentile": "",
    },
}

_FAILURES = {"job FAILED", "job FAILED before it started", "array child FAILED"}
_NOT_JOBS = {"run summary", "cost guard", "alarm"}
_EMAILED = {
    EmailNotifications.FAILURES_AND_SUMMARIES: _FAILURES | _NOT_JOBS,
    EmailNotifications.SUMMARIES: _NOT_JOBS,
    EmailNotifications.EVERY_JOB: {"job SUCCEEDED", "array child SUCCEEDED"}
    | _FAILURES
    | _NOT_JOBS,
}
"""What each choice promises an e-mail subscriber (README, "E-mail")."""


def _topic_messages(template: Template) -> dict[str, str]:
    """Every kind of message the completion topic carries, by name, as published."""
    jobs = {
        "job SUCCEEDED": "file-succeeded",
        "job FAILED": "file-failed",
        "job FAILED before it started": "file-cancelled-while-runnable",
        "array child SUCCEEDED": "array-child-succeeded",
        "array child FAILED": "array-child-failed",
    }
    messages = {
        name: messages_for(template, FINISHED_EVENTS[event])[0] for name, event in jobs.items()
    }
    return messages | {
        "run summary": json.dumps(_RUN_SUMMARY),
        "cost guard": json.dumps(_COST_GUARD),
        "alarm": json.dumps(_ALARM),
    }


def _delivered(
    policy: dict[str, Any] | None, scope: str | None, messages: Iterable[str]
) -> set[str]:
    """The messages a subscriber with ``policy`` (in ``scope``) receives, by moto's SNS."""
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="completion")["TopicArn"]
        queue = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        attributes = {"RawMessageDelivery": "true"}
        if policy is not None:
            attributes |= {"FilterPolicy": json.dumps(policy), "FilterPolicyScope": str(scope)}
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes=attributes,
        )
        for message in messages:
            sns.publish(TopicArn=topic, Message=message)
        received: set[str] = set()
        while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
            received |= {m["Body"] for m in batch}
            for m in batch:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        return received


def _email_policy(template: Template) -> tuple[dict[str, Any] | None, str | None]:
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    properties = subscription["Properties"]
    assert properties["Protocol"] == "email"
    return properties.get("FilterPolicy"), properties.get("FilterPolicyScope")


@pytest.fixture(scope="module")
def templates(dockerfile_dir: Path) -> dict[EmailNotifications, Template]:
    """A bulk-mode pipeline per choice: its topic carries array children's messages too."""
    return {
        choice: template_of(
            dockerfile_dir,
            mode=BulkOptions(),
            notifications=NotificationOptions(emails=["lab@example.org"], email_filter=choice),
        )
        for choice in EmailNotifications
    }


def test_the_trial_covers_every_kind_the_topic_carries(
    templates: dict[EmailNotifications, Template],
) -> None:
    messages = _topic_messages(templates[EmailNotifications.EVERY_JOB])

    kinds = {json.loads(message).get(KIND) for message in messages.values()}
    assert kinds == {JOB, RUN_SUMMARY, COST_GUARD, None}  # None: an alarm, in AWS's format
    assert set(messages) == set().union(*_EMAILED.values())


@pytest.mark.parametrize("choice", list(EmailNotifications), ids=lambda c: c.name)
def test_email_receives_what_its_choice_promises(
    templates: dict[EmailNotifications, Template], choice: EmailNotifications
) -> None:
    template = templates[choice]
    messages = _topic_messages(template)
    policy, scope = _email_policy(template)

    delivered = _delivered(policy, scope, messages.values())

    assert {name for name, message in messages.items() if message in delivered} == _EMAILED[choice]


@pytest.mark.parametrize(
    "choice",
    [EmailNotifications.FAILURES_AND_SUMMARIES, EmailNotifications.SUMMARIES],
    ids=lambda c: c.name,
)
def test_email_policies_filter_on_the_message_body(
    templates: dict[EmailNotifications, Template], choice: EmailNotifications
) -> None:
    _, scope = _email_policy(templates[choice])

    assert scope == "MessageBody"


def test_every_job_subscribes_without_a_policy(
    templates: dict[EmailNotifications, Template],
) -> None:
    assert _email_policy(templates[EmailNotifications.EVERY_JOB]) == (None, None)


def test_an_emailed_failure_names_the_file_the_reason_and_the_log(
    templates: dict[EmailNotifications, Template],
) -> None:
    template = templates[EmailNotifications.FAILURES_AND_SUMMARIES]
    policy, scope = _email_policy(template)
    failed = _topic_messages(template)["job FAILED"]

    (delivered,) = _delivered(policy, scope, [failed])
    message = json.loads(delivered)

    assert message[KIND] == JOB and message["status"] == "FAILED"
    assert message["inputUri"] == FINISHED_EVENTS["file-failed"]["detail"]["parameters"]["inputUri"]
    assert message["statusReason"] == "Essential container in task exited"
    assert (message["logGroup"], message["logStreamName"]) == (LOG_GROUP, LOG_STREAM)
