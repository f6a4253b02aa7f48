"""Every prop AWS would reject at deploy time fails at synth with the prop, the value and what is allowed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Size, aws_ec2, aws_kms, aws_s3, aws_sns

from batch_pipeline_construct import (
    AlarmOptions,
    ArrivalOptions,
    BatchFilePipeline,
    BucketOptions,
    BulkOptions,
    ComputeOptions,
    ComputeType,
    JobOptions,
    NotificationOptions,
    PerFileOptions,
    PipelineConfigurationError,
    RecordOptions,
    TriggerOptions,
)
from tests.support.pipeline_builders import build_pipeline, refusal

EC2 = ComputeOptions(type=ComputeType.EC2)

CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    # id: (props, prop named in the error, words of what is allowed)
    "fargate-memory-pairing": (
        {"job": JobOptions(vcpus=1, memory=Size.gibibytes(16))},
        "job.memory",
        "with 1 vCPU Fargate allows 2048 to 8192 MiB",
    ),
    "fargate-vcpus": (
        {"job": JobOptions(vcpus=3, memory=Size.gibibytes(8))},
        "job.vcpus",
        "Fargate allows",
    ),
    "gpus-on-fargate": ({"job": JobOptions(gpus=1)}, "job.gpus", "Fargate has no GPUs"),
    "gpus-on-graviton": (
        {"compute": ComputeOptions(type=ComputeType.EC2, arm64=True), "job": JobOptions(gpus=1)},
        "compute.arm64",
        "x86-64 GPU instances only",
    ),
    "short-timeout": (
        {"job": JobOptions(timeout=Duration.seconds(30))},
        "job.timeout",
        "at least 60 seconds",
    ),
    "retry-zero": ({"job": JobOptions(retry_attempts=0)}, "job.retry_attempts", "1 to 10"),
    "retry-eleven": ({"job": JobOptions(retry_attempts=11)}, "job.retry_attempts", "1 to 10"),
    "contract-variable-in-environment": (
        {"job": JobOptions(environment={"INPUT_KEY": "x"})},
        "job.environment",
        "belong to the job contract",
    ),
    "empty-command": ({"job": JobOptions(command=[])}, "job.command", "at least one word"),
    "ephemeral-storage-range": (
        {"job": JobOptions(ephemeral_storage=Size.gibibytes(500))},
        "job.ephemeral_storage",
        "21 to 200 GiB",
    ),
    "ephemeral-storage-on-ec2": (
        {"compute": EC2, "job": JobOptions(ephemeral_storage=Size.gibibytes(50))},
        "job.ephemeral_storage",
        "Fargate only",
    ),
    "root-volume-on-fargate": (
        {"compute": ComputeOptions(root_volume_size=Size.gibibytes(100))},
        "compute.root_volume_size",
        "on Fargate use JobOptions.ephemeral_storage",
    ),
    "root-volume-below-the-ami": (
        {"compute": ComputeOptions(type=ComputeType.EC2, root_volume_size=Size.gibibytes(8))},
        "compute.root_volume_size",
        "30 to 16384 GiB",
    ),
    "root-volume-not-whole-gib": (
        {"compute": ComputeOptions(type=ComputeType.EC2, root_volume_size=Size.mebibytes(40_000))},
        "compute.root_volume_size",
        "a whole number of GiB",
    ),
    "ephemeral-storage-not-whole-gib": (
        {"job": JobOptions(ephemeral_storage=Size.mebibytes(30_000))},
        "job.ephemeral_storage",
        "a whole number of GiB",
    ),
    "memory-not-whole-mib": (
        {"job": JobOptions(memory=Size.kibibytes(2_097_000))},
        "job.memory",
        "a whole number of MiB",
    ),
    "max-vcpus": ({"compute": ComputeOptions(max_vcpus=0)}, "compute.max_vcpus", "1 to 10000"),
    "instance-types-on-fargate": (
        {"compute": ComputeOptions(instance_types=("c7i.large",))},
        "compute.instance_types",
        "ComputeType.EC2 only",
    ),
    "unknown-instance-family": (
        {"compute": ComputeOptions(type=ComputeType.EC2, instance_types=("zz9",))},
        "compute.instance_types",
        "instance family",
    ),
    "prefix-with-leading-slash": (
        {"trigger": TriggerOptions(prefix="/incoming/")},
        "trigger.prefix",
        "no leading '/'",
    ),
    "overlapping-suffixes": (
        {"trigger": TriggerOptions(suffixes=(".csv", ".gz", ".tar.gz"))},
        "trigger.suffixes",
        "'.tar.gz' ends with '.gz'",
    ),
    "suffixes-as-a-string": (
        {"trigger": TriggerOptions(suffixes=".csv")},
        "trigger.suffixes",
        "list or tuple",
    ),
    "batch-size-without-window": (
        {"mode": PerFileOptions(batch_size=100)},
        "mode.batch_size",
        "at least 1 second",
    ),
    "concurrency-one": (
        {"mode": PerFileOptions(max_concurrency=1)},
        "mode.max_concurrency",
        "2 to 1000",
    ),
    "removed-file-records-ttl": (
        {"arrival": ArrivalOptions(file_records_ttl=Duration.days(7))},
        "arrival.file_records_ttl",
        "records=RecordOptions(retention=...)",
    ),
    "short-record-retention": (
        {"records": RecordOptions(retention=Duration.minutes(5))},
        "records.retention",
        "at least 1 hour",
    ),
    "bulk-array-size": (
        {"mode": BulkOptions(max_files_per_job=20_000)},
        "mode.max_files_per_job",
        "2 to 10000",
    ),
    "bulk-concurrency": (
        {"mode": BulkOptions(max_concurrency=1)},
        "mode.max_concurrency",
        "2 to 1000",
    ),
    "bulk-manifest-prefix": (
        {"mode": BulkOptions(manifest_prefix="/m")},
        "mode.manifest_prefix",
        "'_manifests/'",
    ),
    "alarm-period-under-a-minute": (
        {"alarms": AlarmOptions(period=Duration.seconds(30))},
        "alarms.period",
        "whole minutes from 1 minute to 7 days",
    ),
    "alarm-period-in-part-minutes": (
        {"alarms": AlarmOptions(period=Duration.seconds(90))},
        "alarms.period",
        "no multiple of 60 seconds",
    ),
    "alarm-period-above-a-week": (
        {"alarms": AlarmOptions(period=Duration.days(8))},
        "alarms.period",
        "whole minutes from 1 minute to 7 days",
    ),
    "alarm-threshold": (
        {"alarms": AlarmOptions(failed_jobs_threshold=0)},
        "alarms.failed_jobs_threshold",
        "1 or more",
    ),
    "output-prefix-leading-slash": (
        {"output_prefix": "/results/"},
        "output_prefix",
        "without a leading '/'",
    ),
    "output-prefix-without-slash": ({"output_prefix": "results"}, "output_prefix", "folder-like"),
    "output-prefix-too-long": (
        {"output_prefix": "r" * 256 + "/"},
        "output_prefix",
        "at most 256 bytes",
    ),
    "bad-email": (
        {"notifications": NotificationOptions(emails=["not-an-address"])},
        "notifications.emails",
        "e-mail address",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_prop_is_named_with_its_value_and_what_is_allowed(
    dockerfile_dir: Path, case: str
) -> None:
    props, prop, allowed = CASES[case]
    error = refusal(dockerfile_dir, **props)
    assert error.prop == prop
    assert f"invalid {prop}=" in str(error)
    assert allowed in str(error)


def test_every_valid_fargate_pair_is_accepted() -> None:
    fargate = ComputeOptions()
    for vcpus, memory_gib in [(0.25, 0.5), (0.5, 4), (2, 16), (4, 30), (8, 60), (16, 120)]:
        JobOptions(vcpus=vcpus, memory=Size.mebibytes(int(memory_gib * 1024))).validate(fargate)


def test_alarm_periods_of_whole_minutes_from_a_minute_to_a_week_are_accepted() -> None:
    for period in (Duration.minutes(1), Duration.seconds(120), Duration.hours(1), Duration.days(7)):
        AlarmOptions(period=period).validate()


def test_missing_dockerfile_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(tmp_path)
    assert raised.value.prop == "dockerfile_path"
    assert "holds no file named Dockerfile" in str(raised.value)
    with pytest.raises(PipelineConfigurationError, match="nothing exists at"):
        build_pipeline(tmp_path / "nope")


def _stack_with_buckets() -> tuple[cdk.Stack, aws_s3.IBucket, aws_s3.IBucket]:
    stack = cdk.Stack(cdk.App(), "Stack")
    raw = aws_s3.Bucket.from_bucket_name(stack, "Raw", "lab-raw")
    results = aws_s3.Bucket.from_bucket_name(stack, "Results", "lab-results")
    return stack, raw, results


def test_bucket_options_with_two_existing_buckets_conflict(dockerfile_dir: Path) -> None:
    stack, raw, results = _stack_with_buckets()
    with pytest.raises(
        PipelineConfigurationError,
        match="bucket options apply only to buckets the pipeline creates",
    ):
        BatchFilePipeline(
            stack,
            "Pipeline",
            dockerfile_path=str(dockerfile_dir),
            input_bucket=raw,
            output_bucket=results,
            bucket_options=BucketOptions(versioned_input=False),
        )


def test_one_bucket_for_input_and_output_needs_disjoint_prefixes(dockerfile_dir: Path) -> None:
    stack, raw, _ = _stack_with_buckets()
    with pytest.raises(PipelineConfigurationError, match="every result would start another job"):
        BatchFilePipeline(
            stack, "Loop", dockerfile_path=str(dockerfile_dir), input_bucket=raw, output_bucket=raw
        )
    raw_again = aws_s3.Bucket.from_bucket_name(stack, "RawAgain", "lab-raw")
    with pytest.raises(PipelineConfigurationError, match="every result would start another job"):
        BatchFilePipeline(
            stack,
            "LoopByName",
            dockerfile_path=str(dockerfile_dir),
            input_bucket=raw,
            output_bucket=raw_again,
        )
    BatchFilePipeline(
        stack,
        "Disjoint",
        dockerfile_path=str(dockerfile_dir),
        input_bucket=raw,
        output_bucket=raw,
        trigger=TriggerOptions(prefix="incoming/"),
        output_prefix="results/",
    )


def test_subnets_need_a_vpc_and_topic_key_needs_no_topic(dockerfile_dir: Path) -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(
            dockerfile_dir,
            compute=ComputeOptions(
                subnets=aws_ec2.SubnetSelection(subnet_type=aws_ec2.SubnetType.PUBLIC)
            ),
        )
    assert raised.value.prop == "compute.subnets"
    stack = cdk.Stack(cdk.App(), "Stack")
    topic = aws_sns.Topic(stack, "Topic")
    with pytest.raises(PipelineConfigurationError) as raised:
        BatchFilePipeline(
            stack,
            "Pipeline",
            dockerfile_path=str(dockerfile_dir),
            completion_topic=topic,
            notifications=NotificationOptions(topic_encryption_key=aws_kms.Key(stack, "Key")),
        )
    assert raised.value.prop == "notifications.topic_encryption_key"
    assert "invalid notifications.topic_encryption_key=<aws_kms.Key Stack/Key>: " in str(
        raised.value
    )


def test_every_mistake_is_reported_at_once(dockerfile_dir: Path) -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(
            dockerfile_dir,
            job=JobOptions(retry_attempts=0),
            mode=BulkOptions(max_concurrency=1),
            arrival=ArrivalOptions(max_receive_count=0),
            output_prefix="results",
        )
    assert [problem.prop for problem in raised.value.problems] == [
        "job.retry_attempts",
        "mode.max_concurrency",
        "arrival.max_receive_count",
        "output_prefix",
    ]
    assert "4 props are wrong" in str(raised.value)


def test_a_mode_takes_only_the_options_that_apply_to_it() -> None:
    per_file = {f.name for f in dataclasses.fields(PerFileOptions)}
    bulk = {f.name for f in dataclasses.fields(BulkOptions)}
    shared = {f.name for f in dataclasses.fields(ArrivalOptions)}
    # What a mode sets is in its own options; nothing in ArrivalOptions is overridden by a mode.
    assert not (per_file | bulk) & shared
    assert {"batch_size", "max_batching_window"} <= per_file
    assert {"max_files_per_job", "batching_window"} <= bulk
