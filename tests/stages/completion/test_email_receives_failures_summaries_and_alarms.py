"""E-mail subscribers get failures, run summaries and alarms, not one e-mail per success.

The topic carries every SUCCEEDED and FAILED job; each e-mail subscription has a filter policy on
the message body, chosen with ``NotificationOptions.email_filter``. The job messages are rendered from the
synthesized rule's input transformer and published to a topic in moto with the synthesized
policy, so what SNS delivers is what a subscriber would get.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Template
from moto import mock_aws

from batch_pipeline_construct import EmailNotifications, NotificationOptions
from tests.support.pipeline_builders import resources, template_of


def _batch_event(status: str) -> dict[str, Any]:
    return {
        "time": "2026-11-24T10:00:00Z",
        "detail": {
            "status": status,
            "statusReason": "Essential container in task exited",
            "jobId": "0a1b",
            "jobName": "file-report-csv-3f2a9c1d0b",
            "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/q",
            "container": {"exitCode": 2, "logStreamName": "job/default/0a1b"},
            "parameters": {"inputUri": "s3://in/report.csv", "outputUri": "s3://out/report.csv/"},
            "arrayProperties": {},
        },
    }


def _value(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.removeprefix("$.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _job_message(template: Template, status: str) -> str:
    """The message the completion rules publish for a per-file job that ended with ``status``."""
    rules = template.find_resources("AWS::Events::Rule")
    (rule,) = [
        r for logical_id, r in rules.items() if "FileWithStatusReasonWithExitCode" in logical_id
    ]
    transformer = rule["Properties"]["Targets"][0]["InputTransformer"]
    event = _batch_event(status)
    return re.sub(
        r"<([\w-]+)>",
        lambda m: json.dumps(_value(event, transformer["InputPathsMap"][m.group(1)])),
        transformer["InputTemplate"],
    )


def _delivered(policy: dict[str, Any] | None, messages: list[str]) -> list[str]:
    """The messages an SQS subscriber with ``policy`` (on the message body) receives."""
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="completion")["TopicArn"]
        queue = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        attributes = {"RawMessageDelivery": "true"}
        if policy is not None:
            attributes |= {"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageBody"}
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes=attributes,
        )
        for message in messages:
            sns.publish(TopicArn=topic, Message=message)
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
        return [m["Body"] for m in received.get("Messages", [])]


def _email_policy(template: Template) -> tuple[dict[str, Any] | None, str | None]:
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    properties = subscription["Properties"]
    assert properties["Protocol"] == "email"
    return properties.get("FilterPolicy"), properties.get("FilterPolicyScope")


@pytest.fixture(scope="module")
def templates(dockerfile_dir: Path) -> dict[EmailNotifications, Template]:
    return {
        choice: template_of(
            dockerfile_dir,
            notifications=NotificationOptions(emails=["lab@example.org"], email_filter=choice),
        )
        for choice in EmailNotifications
    }


def test_job_messages_say_kind_status_file_and_reason(
    templates: dict[EmailNotifications, Template],
) -> None:
    message = json.loads(_job_message(templates[EmailNotifications.EVERY_JOB], "FAILED"))

    assert message["kind"] == "job" and message["status"] == "FAILED"
    assert message["inputUri"] == "s3://in/report.csv"
    assert message["statusReason"] == "Essential container in task exited"


def test_by_default_a_failure_is_emailed_and_a_success_is_not(
    templates: dict[EmailNotifications, Template],
) -> None:
    template = templates[EmailNotifications.FAILURES_AND_SUMMARIES]
    policy, scope = _email_policy(template)
    succeeded, failed = _job_message(template, "SUCCEEDED"), _job_message(template, "FAILED")

    assert scope == "MessageBody"
    assert _delivered(policy, [succeeded, failed]) == [failed]


def test_by_default_messages_without_a_status_are_emailed(
    templates: dict[EmailNotifications, Template],
) -> None:
    # Run summaries, cost guard messages and alarms carry no "status": the policy lets a
    # message without the field through, as SNS's "exists": false does.
    policy, _ = _email_policy(templates[EmailNotifications.FAILURES_AND_SUMMARIES])

    assert policy == {"status": [{"anything-but": ["SUCCEEDED"]}, {"exists": False}]}


def test_summaries_only_emails_no_job(templates: dict[EmailNotifications, Template]) -> None:
    template = templates[EmailNotifications.SUMMARIES]
    policy, _ = _email_policy(template)
    jobs = [_job_message(template, "SUCCEEDED"), _job_message(template, "FAILED")]
    summary = json.dumps({"kind": "run-summary", "files": 3, "failed": 1})

    assert policy == {"kind": [{"anything-but": ["job"]}, {"exists": False}]}
    assert _delivered(policy, [*jobs, summary]) == [summary]


def test_every_job_emails_every_message(templates: dict[EmailNotifications, Template]) -> None:
    template = templates[EmailNotifications.EVERY_JOB]
    policy, scope = _email_policy(template)
    jobs = [_job_message(template, "SUCCEEDED"), _job_message(template, "FAILED")]

    assert (policy, scope) == (None, None)
    assert sorted(_delivered(policy, jobs)) == sorted(jobs)
