"""Completion: this queue's SUCCEEDED and FAILED job events reach the topic as readable messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_sns
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline, NotificationOptions
from tests.support.pipeline_builders import only, resources, template_of


def _completion_rules(template: Template) -> list[dict[str, Any]]:
    topic_ref = {"Ref": only(template, "AWS::SNS::Topic")[0]}
    return [
        rule
        for rule in resources(template, "AWS::Events::Rule").values()
        if rule["Properties"]["Targets"][0]["Arn"] == topic_ref
    ]


def test_rules_match_this_queues_finished_jobs_only(default_template: Template) -> None:
    queue_id, _ = only(default_template, "AWS::Batch::JobQueue")
    rules = _completion_rules(default_template)
    assert len(rules) == 4
    for rule in rules:
        pattern = rule["Properties"]["EventPattern"]
        assert pattern["source"] == ["aws.batch"]
        assert pattern["detail-type"] == ["Batch Job State Change"]
        assert pattern["detail"]["jobQueue"] == [{"Fn::GetAtt": [queue_id, "JobQueueArn"]}]
        assert pattern["detail"]["status"] == ["SUCCEEDED", "FAILED"]


def test_each_template_names_only_paths_its_rule_requires(default_template: Template) -> None:
    always = {
        "$.detail.status",
        "$.detail.jobId",
        "$.detail.jobName",
        "$.detail.jobQueue",
        "$.time",
    }
    for rule in _completion_rules(default_template):
        detail = rule["Properties"]["EventPattern"]["detail"]
        (target,) = rule["Properties"]["Targets"]
        transformer = target["InputTransformer"]
        template_text = json.dumps(transformer["InputTemplate"])
        for variable, path in transformer["InputPathsMap"].items():
            if path in always:
                continue
            if f'\\"<{variable}>\\"' in template_text:
                continue  # inside a JSON string: an event without the path gives ""
            node = detail
            for name in path.removeprefix("$.detail.").split("."):
                node = node[name]
            assert node == [{"exists": True}], path


def test_undeliverable_completion_events_go_to_a_dead_letter_queue(
    default_template: Template,
) -> None:
    for rule in _completion_rules(default_template):
        (target,) = rule["Properties"]["Targets"]
        dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        assert "CompletionDeadLetterQueue" in dlq_id


def test_email_subscriptions(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir,
        notifications=NotificationOptions(emails=["ops@example.com", "lab@example.org"]),
    )
    subscriptions = resources(template, "AWS::SNS::Subscription").values()
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == [
        "lab@example.org",
        "ops@example.com",
    ]
    assert {s["Properties"]["Protocol"] for s in subscriptions} == {"email"}


def test_an_existing_topic_is_used_as_is(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    topic = aws_sns.Topic.from_topic_arn(
        stack, "Existing", "arn:aws:sns:us-east-1:123456789012:lab-jobs"
    )
    pipeline = BatchFilePipeline(
        stack, "Pipeline", dockerfile_path=str(dockerfile_dir), completion_topic=topic
    )
    template = Template.from_stack(stack)
    assert pipeline.completion_topic is topic
    assert template.find_resources("AWS::SNS::Topic") == {}
    targets = [
        rule["Properties"]["Targets"][0]["Arn"]
        for rule in resources(template, "AWS::Events::Rule").values()
        if "InputTransformer" in rule["Properties"]["Targets"][0]
    ]
    assert targets == ["arn:aws:sns:us-east-1:123456789012:lab-jobs"] * 4
