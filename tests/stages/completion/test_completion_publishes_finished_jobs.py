"""Completion: this queue's SUCCEEDED and FAILED job events reach the topic as readable messages."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_sns
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline
from tests.support.pipeline_builders import only, resources, template_of


def _completion_rule(template: Template) -> dict:  # type: ignore[type-arg]
    return next(r for k, r in resources(template, "AWS::Events::Rule").items() if "Completion" in k)


def test_rule_matches_this_queues_finished_jobs_only(default_template: Template) -> None:
    queue_id, _ = only(default_template, "AWS::Batch::JobQueue")
    pattern = _completion_rule(default_template)["Properties"]["EventPattern"]
    assert pattern == {
        "source": ["aws.batch"],
        "detail-type": ["Batch Job State Change"],
        "detail": {
            "jobQueue": [{"Fn::GetAtt": [queue_id, "JobQueueArn"]}],
            "status": ["SUCCEEDED", "FAILED"],
        },
    }


def test_message_says_which_file_job_status_reason_and_output(default_template: Template) -> None:
    (target,) = _completion_rule(default_template)["Properties"]["Targets"]
    topic_id, _ = only(default_template, "AWS::SNS::Topic")
    assert target["Arn"] == {"Ref": topic_id}
    paths = target["InputTransformer"]["InputPathsMap"]
    assert paths["detail-status"] == "$.detail.status"
    assert paths["detail-statusReason"] == "$.detail.statusReason"
    assert paths["detail-jobId"] == "$.detail.jobId"
    assert paths["detail-parameters-inputUri"] == "$.detail.parameters.inputUri"
    assert paths["detail-parameters-outputUri"] == "$.detail.parameters.outputUri"
    template_keys = json.loads(
        target["InputTransformer"]["InputTemplate"].replace("<", '"<').replace(">", '>"')
    )
    assert {
        "status",
        "statusReason",
        "jobId",
        "jobName",
        "inputUri",
        "outputUri",
        "manifestUri",
    } <= set(template_keys)


def test_undeliverable_completion_events_go_to_a_dead_letter_queue(
    default_template: Template,
) -> None:
    (target,) = _completion_rule(default_template)["Properties"]["Targets"]
    dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert "CompletionDeadLetterQueue" in dlq_id


def test_email_subscriptions(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir, notification_emails=["ops@example.com", "lab@example.org"]
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
    (target,) = _completion_rule(template)["Properties"]["Targets"]
    assert target["Arn"] == "arn:aws:sns:us-east-1:123456789012:lab-jobs"
