"""Imported KMS-encrypted buckets: the job and the arrival function may use each key exactly as S3 needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms, aws_s3
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline, BulkOptions

_INPUT_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
_OUTPUT_KEY = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"


def _stack(dockerfile_dir: Path, *, with_keys: bool) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "Stack", env=cdk.Environment(region="us-east-1"))

    def imported(name: str, key_arn: str) -> aws_s3.IBucket:
        key = aws_kms.Key.from_key_arn(stack, f"{name}Key", key_arn) if with_keys else None
        return aws_s3.Bucket.from_bucket_attributes(
            stack, name, bucket_name=f"lab-{name.lower()}", encryption_key=key
        )

    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        input_bucket=imported("Input", _INPUT_KEY),
        output_bucket=imported("Output", _OUTPUT_KEY),
        mode=BulkOptions(),
    )
    return stack


def _kms_grants(template: Template, role_fragment: str) -> dict[str, set[str]]:
    """Key ARN -> KMS actions the role's policies allow, each checked to go through S3 only."""
    grants: dict[str, set[str]] = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if not any(role_fragment in role["Ref"] for role in policy["Properties"]["Roles"]):
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if not any(action.startswith("kms:") for action in actions):
                continue
            assert statement["Condition"] == {
                "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
            }
            resource: Any = statement["Resource"]
            grants.setdefault(resource, set()).update(actions)
    return grants


def test_the_job_decrypts_input_and_encrypts_output_through_s3_only(dockerfile_dir: Path) -> None:
    template = Template.from_stack(_stack(dockerfile_dir, with_keys=True))
    assert _kms_grants(template, "JobRole") == {
        _INPUT_KEY: {"kms:Decrypt"},
        # Results are written (GenerateDataKey; multipart parts also Decrypt) and manifests read.
        _OUTPUT_KEY: {"kms:GenerateDataKey", "kms:Decrypt"},
    }


def test_the_arrival_function_uses_only_the_output_key_for_manifests(
    dockerfile_dir: Path,
) -> None:
    template = Template.from_stack(_stack(dockerfile_dir, with_keys=True))
    assert _kms_grants(template, "ArrivalFunctionRole") == {
        _OUTPUT_KEY: {"kms:GenerateDataKey", "kms:Decrypt"}
    }


def test_buckets_imported_without_a_key_get_no_kms_grants(dockerfile_dir: Path) -> None:
    template = Template.from_stack(_stack(dockerfile_dir, with_keys=False))
    assert _kms_grants(template, "JobRole") == {}
    assert _kms_grants(template, "ArrivalFunctionRole") == {}
