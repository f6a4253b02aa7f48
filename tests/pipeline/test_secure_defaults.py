"""Secure by default: private, encrypted, TLS-only storage and messaging; flow logs; retained data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import RemovalPolicy, aws_kms
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline, BucketOptions, NotificationOptions
from tests.support.pipeline_builders import resources, template_of


def _denies_insecure_transport(policy: dict[str, Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_buckets_block_public_access_encrypt_and_log_access(default_template: Template) -> None:
    buckets = resources(default_template, "AWS::S3::Bucket")
    assert len(buckets) == 3
    for bucket_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, bucket_id
        assert "BucketEncryption" in properties, bucket_id
        assert bucket["DeletionPolicy"] == "Retain", bucket_id
        assert "AccessControl" not in properties, bucket_id
        if "AccessLogs" not in bucket_id:
            assert "LoggingConfiguration" in properties, bucket_id
    input_bucket = next(b for k, b in buckets.items() if "Input" in k)
    assert input_bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_every_bucket_and_queue_and_topic_refuses_plain_http(default_template: Template) -> None:
    for kind in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
        policies = resources(default_template, kind)
        assert policies, kind
        assert all(_denies_insecure_transport(p) for p in policies.values()), kind
    assert len(resources(default_template, "AWS::S3::BucketPolicy")) == 3
    queue_refs = [
        queue
        for policy in resources(default_template, "AWS::SQS::QueuePolicy").values()
        for queue in policy["Properties"]["Queues"]
    ]
    assert sorted(ref["Ref"] for ref in queue_refs) == sorted(
        resources(default_template, "AWS::SQS::Queue")
    ), "every queue has its TLS-only policy"


def test_queues_are_encrypted(default_template: Template) -> None:
    for queue in resources(default_template, "AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_vpc_flow_logs_and_idle_cost_free_network(default_template: Template) -> None:
    (flow_log,) = resources(default_template, "AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert resources(default_template, "AWS::EC2::NatGateway") == {}
    assert resources(default_template, "AWS::EC2::EIP") == {}
    assert resources(default_template, "AWS::KMS::Key") == {}


def test_kms_key_option_encrypts_buckets_and_topic(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    key = aws_kms.Key(stack, "Key", enable_key_rotation=True)
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        bucket_options=BucketOptions(encryption_key=key),
        notifications=NotificationOptions(topic_encryption_key=key),
    )
    template = Template.from_stack(stack)
    key_id = stack.get_logical_id(key.node.default_child)  # type: ignore[arg-type]
    data_buckets = [
        b for k, b in resources(template, "AWS::S3::Bucket").items() if "AccessLogs" not in k
    ]
    for bucket in data_buckets:
        rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {
            "Fn::GetAtt": [key_id, "Arn"]
        }
    (topic,) = resources(template, "AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_destroy_removal_policy_empties_and_deletes(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, removal_policy=RemovalPolicy.DESTROY)
    for bucket in resources(template, "AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    assert resources(template, "Custom::S3AutoDeleteObjects")


def test_deduplication_table_is_on_demand_with_ttl(default_template: Template) -> None:
    (table,) = resources(default_template, "AWS::DynamoDB::GlobalTable").values()
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
