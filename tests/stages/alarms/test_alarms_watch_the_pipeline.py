"""Alarms (on by default): dead letters waiting, arrival errors, failed jobs; they notify a topic."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_sns
from aws_cdk.assertions import Template

from batch_pipeline_construct import AlarmOptions, BatchFilePipeline
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
        "MatchedEvents",
    ]


def test_failed_jobs_alarm_counts_this_queues_failed_jobs(default_template: Template) -> None:
    alarms = resources(default_template, "AWS::CloudWatch::Alarm").values()
    failed = next(a for a in alarms if a["Properties"]["MetricName"] == "MatchedEvents")
    (rule_ref,) = [
        d["Value"] for d in failed["Properties"]["Dimensions"] if d["Name"] == "RuleName"
    ]
    rule = default_template.to_json()["Resources"][rule_ref["Ref"]]
    assert rule["Properties"]["EventPattern"]["detail"]["status"] == ["FAILED"]


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
        if a["Properties"]["MetricName"] == "MatchedEvents"
    } == {5}
    off = template_of(dockerfile_dir, alarms=AlarmOptions(enabled=False))
    assert resources(off, "AWS::CloudWatch::Alarm") == {}
