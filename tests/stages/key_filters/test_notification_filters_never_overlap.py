"""S3 rejects overlapping ObjectCreated filters on one bucket, so the pipeline rejects them at synth."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline, PipelineConfigurationError, TriggerOptions
from batch_pipeline_construct.options import key_filters_overlap


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        (("", ".gz"), ("", ".tar.gz"), True),
        (("images/", ""), ("images/raw/", ".tif"), True),
        (("", ""), ("tables/", ".csv"), True),
        (("images/", ".jpg"), ("images/", ".png"), False),
        (("images/", ".csv"), ("tables/", ".csv"), False),
        (("in/", ".tar.gz"), ("in/", ".zip"), False),
    ],
)
def test_filters_overlap_when_one_key_could_match_both(
    first: tuple[str, str], second: tuple[str, str], overlap: bool
) -> None:
    assert key_filters_overlap(first, second) is overlap
    assert key_filters_overlap(second, first) is overlap


def _two_pipelines_on_one_bucket(
    dockerfile_dir: Path, first: TriggerOptions, second: TriggerOptions
) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "Stack")
    bucket = aws_s3.Bucket(stack, "Shared")
    for name, trigger in (("Images", first), ("Tables", second)):
        BatchFilePipeline(
            stack, name, dockerfile_path=str(dockerfile_dir), input_bucket=bucket, trigger=trigger
        )
    return stack


def test_two_pipelines_with_overlapping_filters_on_one_bucket_fail_at_synth(
    dockerfile_dir: Path,
) -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        _two_pipelines_on_one_bucket(
            dockerfile_dir, TriggerOptions(prefix="data/"), TriggerOptions(prefix="data/tables/")
        )
    message = str(raised.value)
    assert "trigger" in message
    assert "Stack/Images" in message
    assert "give each pipeline its own prefix" in message


def test_two_pipelines_with_separate_prefixes_share_a_bucket(dockerfile_dir: Path) -> None:
    stack = _two_pipelines_on_one_bucket(
        dockerfile_dir, TriggerOptions(prefix="images/"), TriggerOptions(prefix="tables/")
    )
    (notifications,) = (
        Template.from_stack(stack).find_resources("Custom::S3BucketNotifications").values()
    )
    configurations = notifications["Properties"]["NotificationConfiguration"]
    prefixes = sorted(
        rule["Value"]
        for queue in configurations["QueueConfigurations"]
        for rule in queue["Filter"]["Key"]["FilterRules"]
    )
    assert prefixes == ["images/", "tables/"]
