"""S3 object-created events reach the arrival Lambda through an SQS queue with a dead-letter queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration
from aws_cdk.assertions import Match, Template

from batch_pipeline_construct import ArrivalOptions, PerFileOptions, TriggerOptions
from batch_pipeline_construct.runtime import settings
from batch_pipeline_construct.runtime.settings import ArrivalSettings
from tests.support.pipeline_builders import only, resources, template_of


def arrival_mapping(template: Template) -> dict[str, Any]:
    """The arrival function's event source mapping (the record function has one too)."""
    (mapping,) = [
        mapping
        for logical_id, mapping in resources(template, "AWS::Lambda::EventSourceMapping").items()
        if "ArrivalFunction" in logical_id
    ]
    return mapping


def test_input_bucket_notifies_the_arrival_queue_of_new_objects(default_template: Template) -> None:
    _, notification = only(default_template, "Custom::S3BucketNotifications")
    queue_id = next(
        k for k in resources(default_template, "AWS::SQS::Queue") if "ArrivalQueue" in k
    )
    configs = notification["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert configs == [
        {"Events": ["s3:ObjectCreated:*"], "QueueArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    ]


def test_queue_dead_letters_after_max_receive_count_and_keeps_them_14_days(
    default_template: Template,
) -> None:
    queues = resources(default_template, "AWS::SQS::Queue")
    dlq_id = next(k for k in queues if "ArrivalDeadLetterQueue" in k)
    arrival = next(v for k, v in queues.items() if "ArrivalQueue" in k)
    assert arrival["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert queues[dlq_id]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # The visibility timeout outlasts six runs of the function, as AWS recommends.
    assert arrival["Properties"]["VisibilityTimeout"] == 6 * 60


def test_function_reports_partial_batch_failures_with_capped_concurrency(
    default_template: Template,
) -> None:
    mapping = arrival_mapping(default_template)
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["BatchSize"] == 10
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 9}


def test_arrival_options_tune_the_queue_and_the_event_source(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir,
        mode=PerFileOptions(
            batch_size=100,
            max_batching_window=Duration.seconds(20),
            max_concurrency=3,
            function_timeout=Duration.minutes(2),
        ),
        arrival=ArrivalOptions(max_receive_count=2),
    )
    mapping = arrival_mapping(template)
    assert mapping["Properties"]["BatchSize"] == 100
    assert mapping["Properties"]["MaximumBatchingWindowInSeconds"] == 20
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 3}
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {"VisibilityTimeout": 720, "RedrivePolicy": Match.object_like({"maxReceiveCount": 2})},
    )


def test_prefix_and_each_suffix_become_s3_filters(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir, trigger=TriggerOptions(prefix="in/", suffixes=(".csv", ".tsv"))
    )
    _, notification = only(template, "Custom::S3BucketNotifications")
    filters = [
        c["Filter"]["Key"]["FilterRules"]
        for c in notification["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    ]
    assert sorted(map(str, filters)) == sorted(
        map(
            str,
            [
                [{"Name": "suffix", "Value": ".csv"}, {"Name": "prefix", "Value": "in/"}],
                [{"Name": "suffix", "Value": ".tsv"}, {"Name": "prefix", "Value": "in/"}],
            ],
        )
    )
    # The same filters reach the function's settings, so operator commands apply them too.
    function = next(
        v
        for k, v in resources(template, "AWS::Lambda::Function").items()
        if k.startswith("PipelineArrivalFunction")
    )
    variables = function["Properties"]["Environment"]["Variables"]
    received = ArrivalSettings.from_environ(
        {name: value for name, value in variables.items() if isinstance(value, str)}
        | {settings.JOB_QUEUE_ARN: "q", settings.JOB_DEFINITION_NAME: "d"}
        | {settings.INPUT_BUCKET: "i", settings.OUTPUT_BUCKET: "o"}
    )
    assert (received.trigger_prefix, received.trigger_suffixes) == ("in/", (".csv", ".tsv"))
