"""Bulk mode: a big batch per invocation, manifests in the output bucket, array children read them."""

from __future__ import annotations

from pathlib import Path

from aws_cdk.assertions import Template

from batch_pipeline_construct import BulkOptions
from batch_pipeline_construct.runtime import settings
from tests.support.pipeline_builders import resources, template_of


def test_bulk_mode_configures_the_function_and_the_event_source(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, mode=BulkOptions(max_files_per_job=5000))
    (mapping,) = [
        mapping
        for logical_id, mapping in resources(template, "AWS::Lambda::EventSourceMapping").items()
        if "ArrivalFunction" in logical_id
    ]
    # A batch never holds more files than one array job takes: the rest would bounce back.
    assert mapping["Properties"]["BatchSize"] == 5000
    # Lambda's shortest window for batches above 10: a lone file is not held back
    assert mapping["Properties"]["MaximumBatchingWindowInSeconds"] == 1
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 20}
    function = next(
        f for k, f in resources(template, "AWS::Lambda::Function").items() if "Arrival" in k
    )
    variables = function["Properties"]["Environment"]["Variables"]
    received = settings.ArrivalSettings.from_environ(variables)
    assert received.bulk_mode is True
    assert received.bulk_max_files == 5000
    assert received.manifest_prefix == "_manifests/"


def _role_statements(template: Template, fragment: str) -> str:
    return str(
        [
            p["Properties"]["PolicyDocument"]
            for p in resources(template, "AWS::IAM::Policy").values()
            if any(fragment in r["Ref"] for r in p["Properties"]["Roles"])
        ]
    )


def test_function_writes_manifests_and_jobs_read_them(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, mode=BulkOptions())
    function_policy = _role_statements(template, "ArrivalFunctionRole")
    job_policy = _role_statements(template, "JobRole")
    assert "/_manifests/*" in function_policy and "s3:PutObject" in function_policy
    assert "/_manifests/*" in job_policy and "s3:GetObject" in job_policy


def test_function_may_count_the_files_waiting_in_its_own_queue(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, mode=BulkOptions())
    counted = [
        statement["Resource"]
        for policy in resources(template, "AWS::IAM::Policy").values()
        if any("ArrivalFunctionRole" in role["Ref"] for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sqs:GetQueueAttributes" in statement["Action"]
        and "sqs:ReceiveMessage" in statement["Action"]
    ]
    queue = next(k for k in resources(template, "AWS::SQS::Queue") if "ArrivalQueue" in k)

    # The event source's consumer grant: the arrival queue only, no new statement needed.
    assert counted == [{"Fn::GetAtt": [queue, "Arn"]}]
