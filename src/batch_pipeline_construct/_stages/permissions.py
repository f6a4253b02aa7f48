"""Least-privilege grants of the pipeline, each acknowledging only the wildcard it cannot avoid.

aws-cdk-lib's ``Bucket.grant_read`` also grants ``s3:List*`` and ``s3:GetBucket*``, which jobs do
not need, so object access is granted action by action here. An object ARN ends in ``/*``
because the keys are not known before files arrive: that wildcard, and only it, is acknowledged
for cdk-nag (AwsSolutions-IAM5) on the exact resource, by the exact finding.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations, aws_batch, aws_iam, aws_s3
from constructs import Construct, IConstruct

_READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
_WRITE_OBJECT_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
# What S3 asks KMS for on the caller's behalf with SSE-KMS: GetObject decrypts; PutObject
# generates a data key, and a multipart upload also decrypts it for each part.
_READ_KEY_ACTIONS = ("kms:Decrypt",)
_WRITE_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (e.g. ``AwsSolutions-SQS3``) on ``scope`` and its children."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::{finding}", reason=reason))


def nag_text(scope: IConstruct, value: str) -> str:
    """How cdk-nag writes ``value`` (an ARN that may hold tokens) in a finding's ID."""
    return _render(Stack.of(scope).resolve(value))


def _render(resolved: Any) -> str:
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and len(resolved) == 1:
        ((function, argument),) = resolved.items()
        if function == "Fn::Join":
            delimiter, parts = argument
            return str(delimiter).join(_render(part) for part in parts)
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
    return json.dumps(resolved, separators=(",", ":"))


def _grant_objects(
    bucket: aws_s3.IBucket,
    role: aws_iam.IRole,
    actions: tuple[str, ...],
    key_pattern: str,
    reason: str,
) -> None:
    resource = bucket.arn_for_objects(key_pattern)
    aws_iam.Grant.add_to_principal(grantee=role, actions=list(actions), resource_arns=[resource])
    acknowledge(role, f"AwsSolutions-IAM5[Resource::{nag_text(role, resource)}]", reason)


def _grant_key_through_s3(
    bucket: aws_s3.IBucket, role: aws_iam.IRole, actions: tuple[str, ...]
) -> None:
    """Let ``role`` use the bucket's KMS key for ``actions``, only through S3 in this Region.

    The key comes with the bucket: ``BucketOptions.encryption_key`` for the pipeline's buckets,
    ``Bucket.from_bucket_attributes(..., encryption_key=key)`` for a bucket you import.
    """
    key = bucket.encryption_key
    if key is None:
        return
    region = Stack.of(role).region
    role.add_to_principal_policy(
        aws_iam.PolicyStatement(
            actions=list(actions),
            resources=[key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        )
    )


def grant_object_read(bucket: aws_s3.IBucket, role: aws_iam.IRole, key_pattern: str = "*") -> None:
    """Let ``role`` read objects (any version) of ``bucket`` under ``key_pattern``, and nothing else."""
    _grant_objects(
        bucket,
        role,
        _READ_OBJECT_ACTIONS,
        key_pattern,
        "Jobs read whichever object arrived; keys are not known in advance.",
    )
    _grant_key_through_s3(bucket, role, _READ_KEY_ACTIONS)


def grant_missing_objects_read_as_missing(bucket: aws_s3.IBucket, role: aws_iam.IRole) -> None:
    """Let ``role`` list ``bucket``: without ``s3:ListBucket``, S3 answers a GET of a key that
    does not exist with 403 AccessDenied, not 404 NoSuchKey, so a reader could not tell an
    object not written yet (an array child's outcomes) from a refusal."""
    aws_iam.Grant.add_to_principal(
        grantee=role, actions=["s3:ListBucket"], resource_arns=[bucket.bucket_arn]
    )


def grant_object_write(bucket: aws_s3.IBucket, role: aws_iam.IRole, key_pattern: str = "*") -> None:
    """Let ``role`` write objects of ``bucket`` under ``key_pattern`` (single or multipart), and nothing else."""
    _grant_objects(
        bucket,
        role,
        _WRITE_OBJECT_ACTIONS,
        key_pattern,
        "Results are written under a prefix derived from each input key, which is not known in advance.",
    )
    _grant_key_through_s3(bucket, role, _WRITE_KEY_ACTIONS)


def grant_submit_to_every_revision(
    grantee: aws_iam.IGrantable,
    job_queue: aws_batch.IJobQueue,
    job_definition: aws_batch.IJobDefinition,
) -> aws_iam.Grant:
    """Let ``grantee`` submit jobs to ``job_queue`` with any revision of ``job_definition``.

    Jobs are submitted by the definition's name, so Batch runs its latest active revision; a
    deploy registers a new revision, and a grant of one revision would break submissions in flight.
    """
    definition = Stack.of(job_queue).format_arn(
        service="batch", resource="job-definition", resource_name=job_definition.job_definition_name
    )
    every_revision = f"{definition}:*"
    grant = aws_iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["batch:SubmitJob"],
        resource_arns=[job_queue.job_queue_arn, definition, every_revision],
    )
    if grant.principal_statement is not None and isinstance(grantee, Construct):
        acknowledge(
            grantee,
            f"AwsSolutions-IAM5[Resource::{nag_text(grantee, every_revision)}]",
            "Every revision of this one job definition: a redeploy must not break submissions in flight.",
        )
    return grant


def grant_job_lookup(grantee: aws_iam.IGrantable) -> aws_iam.Grant:
    """Let ``grantee`` look a job up by name (``batch:ListJobs``) when a submission's outcome is unknown.

    ``ListJobs`` supports no resource-level permissions, so the statement names ``*``; it reads
    job summaries only and cannot start, change or stop anything.
    """
    grant = aws_iam.Grant.add_to_principal(
        grantee=grantee, actions=["batch:ListJobs"], resource_arns=["*"]
    )
    if grant.principal_statement is not None and isinstance(grantee, Construct):
        acknowledge(
            grantee,
            "AwsSolutions-IAM5[Resource::*]",
            "batch:ListJobs supports no resource-level permissions; it only reads job summaries, "
            "to find a job whose submission's answer was lost instead of submitting it twice.",
        )
    return grant


def acknowledge_image_pull(execution_role: Construct) -> None:
    """ECS's ``ecr:GetAuthorizationToken`` has no resource-level permissions: it needs ``*``."""
    acknowledge(
        execution_role,
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken supports no resource-level permissions; aws-cdk-lib grants it for the image pull.",
    )
