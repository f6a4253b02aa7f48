"""Alarms (on by default): dead letters waiting, arrival errors, failed jobs; they notify a topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms, aws_sns
from aws_cdk.assertions import Template

from batch_pipeline_construct import AlarmOptions, BatchFilePipeline, NotificationOptions
from tests.support.pipeline_builders import resources, template_of


def test_four_alarms_notify_the_completion_topic_by_default(default_template: Template) -> None:
    alarms = resources(default_template, "AWS::CloudWatch::Alarm")
    (topic_id,) = resources(default_template, "AWS::SNS::Topic")
    assert len(alarms) == 4
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
    metrics = sorted(a["Properties"]["MetricName"] for a in alarms.values())
    assert metrics == [
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "Invocations",
    ]


def test_failed_jobs_alarm_counts_deliveries_of_this_queues_failed_jobs(
    default_template: Template,
) -> None:
    alarms = resources(default_template, "AWS::CloudWatch::Alarm").values()
    failed = next(a for a in alarms if a["Properties"]["MetricName"] == "Invocations")
    assert failed["Properties"]["Namespace"] == "AWS/Events"
    (rule_ref,) = [
        d["Value"] for d in failed["Properties"]["Dimensions"] if d["Name"] == "RuleName"
    ]
    rule = default_template.to_json()["Resources"][rule_ref["Ref"]]
    detail = rule["Properties"]["EventPattern"]["detail"]
    assert detail["status"] == ["FAILED"]
    assert detail["arrayProperties"] == {"size": [{"exists": False}]}, "array parents aside"
    (target,) = rule["Properties"]["Targets"]
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    assert "FailedJobEvents" in queue_id, "a real target, so Invocations counts each failed job"


def _cloudwatch_statement(template: Template) -> dict[str, Any]:
    (policy,) = resources(template, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (statement,) = [
        s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    return statement


def test_cloudwatch_may_publish_exactly_these_alarms_to_the_topic(
    default_template: Template,
) -> None:
    statement = _cloudwatch_statement(default_template)
    (topic_id,) = resources(default_template, "AWS::SNS::Topic")
    alarm_ids = sorted(resources(default_template, "AWS::CloudWatch::Alarm"))
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == {"Ref": topic_id}
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    source_arns = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert sorted(arn["Fn::GetAtt"][0] for arn in source_arns) == alarm_ids


def test_cloudwatch_may_use_the_topic_key(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    key = aws_kms.Key(stack, "TopicKey")
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        notifications=NotificationOptions(topic_encryption_key=key),
    )
    template = Template.from_stack(stack)
    (key_resource,) = resources(template, "AWS::KMS::Key").values()
    statements = key_resource["Properties"]["KeyPolicy"]["Statement"]
    by_service = {
        s["Principal"]["Service"]: s for s in statements if "Service" in s.get("Principal", {})
    }
    for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
        assert set(by_service[service]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert _cloudwatch_statement(template)["Action"] == "sns:Publish"


def test_alarms_can_go_elsewhere_or_be_off(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    pager = aws_sns.Topic(stack, "Pager")
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        alarms=AlarmOptions(topic=pager, failed_jobs_threshold=5),
    )
    template = Template.from_stack(stack)
    pager_id = stack.get_logical_id(pager.node.default_child)  # type: ignore[arg-type]
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": pager_id}] for a in alarms)
    assert {
        a["Properties"]["Threshold"]
        for a in alarms
        if a["Properties"]["MetricName"] == "Invocations"
    } == {5}
    off = template_of(dockerfile_dir, alarms=AlarmOptions(enabled=False))
    assert resources(off, "AWS::CloudWatch::Alarm") == {}


def test_a_topic_in_another_stack_allows_this_accounts_alarms_without_a_cycle(
    dockerfile_dir: Path,
) -> None:
    app = cdk.App()
    shared = cdk.Stack(app, "Shared")
    pager = aws_sns.Topic(shared, "Pager")
    stack = cdk.Stack(app, "Pipelines")
    BatchFilePipeline(
        stack, "Pipeline", dockerfile_path=str(dockerfile_dir), alarms=AlarmOptions(topic=pager)
    )
    app.synth()  # a reference from the topic's policy back to the alarms would be a cycle
    (policy,) = resources(Template.from_stack(shared), "AWS::SNS::TopicPolicy").values()
    (statement,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    (source_arn,) = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert source_arn["Fn::Join"][1][-1] == ":alarm:*"
