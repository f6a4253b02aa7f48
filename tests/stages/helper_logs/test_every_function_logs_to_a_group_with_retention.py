"""Every Lambda function in a pipeline's stack, aws-cdk-lib's helpers included, logs to a group with a retention."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import RemovalPolicy, aws_logs
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline, TriggerOptions
from tests.support.pipeline_builders import resources, template_of


def _log_group_of_each_function(template: Template) -> dict[str, dict[str, object]]:
    """Function logical ID -> the properties of the log group its LoggingConfig names."""
    groups = resources(template, "AWS::Logs::LogGroup")
    found = {}
    for function_id, function in resources(template, "AWS::Lambda::Function").items():
        reference = function["Properties"].get("LoggingConfig", {}).get("LogGroup")
        assert isinstance(reference, dict) and "Ref" in reference, (
            f"{function_id} has no log group of its own: Lambda would keep its logs forever"
        )
        found[function_id] = groups[reference["Ref"]]["Properties"]
    return found


@pytest.mark.parametrize("removal_policy", [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY])
def test_each_function_logs_to_a_group_with_the_pipelines_retention(
    dockerfile_dir: Path, removal_policy: RemovalPolicy
) -> None:
    template = template_of(
        dockerfile_dir,
        log_retention=aws_logs.RetentionDays.ONE_MONTH,
        removal_policy=removal_policy,
    )
    log_groups = _log_group_of_each_function(template)
    helpers = {"BucketNotificationsHandler"} | (
        {"CustomS3AutoDeleteObjects"} if removal_policy == RemovalPolicy.DESTROY else set()
    )
    for helper in helpers:
        assert any(function_id.startswith(helper) for function_id in log_groups), helper
    assert {group["RetentionInDays"] for group in log_groups.values()} == {30}


def test_pipelines_sharing_a_stack_share_the_helpers_log_group(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    for name, prefix in (("Images", "images/"), ("Tables", "tables/")):
        BatchFilePipeline(
            stack,
            name,
            dockerfile_path=str(dockerfile_dir),
            trigger=TriggerOptions(prefix=prefix),
        )
    template = Template.from_stack(stack)
    log_groups = _log_group_of_each_function(template)
    (handler,) = [f for f in log_groups if f.startswith("BucketNotificationsHandler")]
    assert log_groups[handler]["RetentionInDays"] == 90
    assert all(
        "RetentionInDays" in g["Properties"]
        for g in resources(template, "AWS::Logs::LogGroup").values()
    )
