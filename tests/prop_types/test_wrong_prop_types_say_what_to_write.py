"""A prop or option field of the wrong type fails with the prop, the value, its type and the fix.

The first mistakes a researcher makes (a number for a ``Size`` or ``Duration``, a bucket name for a
bucket, one e-mail address for a list) must never end in an ``AttributeError`` inside the package.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy, Size, aws_ec2, aws_s3

from batch_pipeline_construct import (
    BatchFilePipeline,
    BulkOptions,
    ComputeOptions,
    ComputeType,
    CostGuardOptions,
    JobOptions,
    JobSize,
    NotificationOptions,
    PipelineConfigurationError,
    SharedDataOptions,
)
from tests.support.pipeline_builders import build_pipeline

BIG = JobSize(vcpus=4, memory=Size.gibibytes(16))
"""The open-ended last sizing class of a user's first try."""

ODD_BOUND = JobSize(up_to=1_500_000_000, vcpus=1, memory=Size.gibibytes(2))  # type: ignore[arg-type]
"""A sizing class bounded by a number of bytes that is no whole number of MiB."""

FIRST_MISTAKES: dict[str, tuple[dict[str, Any], str, str]] = {
    # id: (props, prop named, what to write instead)
    "memory-as-a-number": (
        {"job": JobOptions(memory=4096)},  # type: ignore[arg-type]
        "job.memory",
        "an int where a Size is expected; write Size.mebibytes(4096)",
    ),
    "class-memory-as-mebibytes": (
        {"job": JobOptions(sizes=[JobSize(up_to=Size.gibibytes(1), vcpus=1, memory=2048), BIG])},  # type: ignore[arg-type]
        "job.sizes[0].memory",
        "an int where a Size is expected; write Size.mebibytes(2048)",
    ),
    "class-bound-as-bytes": (
        {"job": JobOptions(sizes=[JobSize(up_to=1024**3, vcpus=1, memory=Size.gibibytes(2)), BIG])},  # type: ignore[arg-type]
        "job.sizes[0].up_to",
        "an int where a Size is expected; write Size.gibibytes(1)",
    ),
    "class-bound-as-odd-bytes": (
        {"job": JobOptions(sizes=[ODD_BOUND, BIG])},
        "job.sizes[0].up_to",
        "an int where a Size is expected; write Size.bytes(1500000000)",
    ),
    "tuple-for-a-class": (
        {"job": JobOptions(sizes=[(Size.gibibytes(1), 1, Size.gibibytes(2)), BIG])},  # type: ignore[list-item]
        "job.sizes[0]",
        "a tuple where a JobSize is expected; write JobSize(...)",
    ),
    "disk-as-gibibytes": (
        {"job": JobOptions(ephemeral_storage=120)},  # type: ignore[arg-type]
        "job.ephemeral_storage",
        "an int where a Size is expected; write Size.gibibytes(120)",
    ),
    "root-volume-as-gibibytes": (
        {"compute": ComputeOptions(type=ComputeType.EC2, root_volume_size=200)},  # type: ignore[arg-type]
        "compute.root_volume_size",
        "an int where a Size is expected; write Size.gibibytes(200)",
    ),
    "timeout-as-seconds": (
        {"job": JobOptions(timeout=3600)},  # type: ignore[arg-type]
        "job.timeout",
        "an int where a Duration is expected; write Duration.hours(1)",
    ),
    "timeout-as-fractional-seconds": (
        {"job": JobOptions(timeout=2.01)},  # type: ignore[arg-type]
        "job.timeout",
        "a float where a Duration is expected; write Duration.millis(2010)",
    ),
    "memory-as-text": (
        {"job": JobOptions(memory="4GB")},  # type: ignore[arg-type]
        "job.memory",
        "a str where a Size is expected; write Size.gibibytes(4)",
    ),
    "timeout-as-text": (
        {"job": JobOptions(timeout="30m")},  # type: ignore[arg-type]
        "job.timeout",
        "a str where a Duration is expected; write Duration.minutes(30)",
    ),
    "compute-type-for-compute-options": (
        {"compute": ComputeType.EC2},
        "compute",
        "a ComputeType where a ComputeOptions is expected; write ComputeOptions(type=ComputeType.EC2)",
    ),
    "bucket-name-for-a-bucket": (
        {"input_bucket": "my-lab-data"},
        "input_bucket",
        'a str where an aws_s3.IBucket is expected; write aws_s3.Bucket.from_bucket_name(self, "InputBucket", "my-lab-data")',
    ),
    "file-system-id-for-a-file-system": (
        {"shared_data": SharedDataOptions(file_system="fs-0123456789abcdef0")},  # type: ignore[arg-type]
        "shared_data.file_system",
        'a str where an aws_efs.IFileSystem is expected; write aws_efs.FileSystem.from_file_system_attributes(self, "FileSystem", file_system_id="fs-0123456789abcdef0", security_group=...)',
    ),
    "one-address-for-a-list": (
        {"notifications": NotificationOptions(emails="a@b.org")},
        "notifications.emails",
        "a str where a list of str is expected; write a list or tuple, e.g. ['a@b.org']",
    ),
    "dict-for-options": (
        {"job": {"vcpus": 2}},
        "job",
        "a dict where a JobOptions is expected; write JobOptions(vcpus=2)",
    ),
    "number-in-the-environment": (
        {"job": JobOptions(environment={"THREADS": 4})},  # type: ignore[dict-item]
        "job.environment",
        "a dict where a dict of str to str is expected",
    ),
    "removal-policy-as-text": (
        {"removal_policy": "destroy"},
        "removal_policy",
        "a str where a RemovalPolicy is expected; write RemovalPolicy.DESTROY",
    ),
    "command-as-one-string": (
        {"job": JobOptions(command="python run.py --fast")},  # type: ignore[arg-type]
        "job.command",
        "a str where a list of str is expected; write a list of its words,"
        " e.g. ['python', 'run.py', '--fast']",
    ),
    "options-class-for-an-instance": (
        {"mode": BulkOptions},
        "mode",
        "a type where a PerFileOptions or BulkOptions is expected;"
        " write BulkOptions() (an instance, not the class)",
    ),
    "topic-arn-for-a-topic": (
        {"completion_topic": "arn:aws:sns:eu-west-1:123456789012:lab"},
        "completion_topic",
        'aws_sns.Topic.from_topic_arn(self, "CompletionTopic", "arn:aws:sns:eu-west-1:123456789012:lab")',
    ),
}


@pytest.mark.parametrize("case", FIRST_MISTAKES.values(), ids=FIRST_MISTAKES.keys())
def test_a_first_mistake_says_what_to_write_instead(
    dockerfile_dir: Path, case: tuple[dict[str, Any], str, str]
) -> None:
    props, prop, advice = case

    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(dockerfile_dir, **props)

    assert raised.value.prop == prop
    assert f"invalid {prop}=" in str(raised.value)
    assert advice in str(raised.value)


def _option_fields(prefix: str, hint: object) -> list[tuple[str, type, str]]:
    """(prop path, option dataclass, field) of every field of the option group in ``hint``."""
    groups = [arm for arm in typing.get_args(hint) or (hint,) if dataclasses.is_dataclass(arm)]
    return [
        (f"{prefix}.{field.name}", group, field.name)  # type: ignore[misc]
        for group in groups
        for field in dataclasses.fields(group)  # type: ignore[arg-type]
    ]


_HINTS = typing.get_type_hints(BatchFilePipeline.__init__)
PROPS = [
    name
    for name, parameter in inspect.signature(BatchFilePipeline.__init__).parameters.items()
    if name not in ("self", "scope", "construct_id")
    and parameter.kind is not inspect.Parameter.VAR_KEYWORD
]
FIELDS = [field for prop in PROPS for field in _option_fields(prop, _HINTS[prop])]


# Option groups with a field that has no default (a budget has no sensible default amount).
_REQUIRED_FIELDS: dict[type, dict[str, Any]] = {CostGuardOptions: {"monthly_budget_usd": 100.0}}


def _valid(group: type) -> Any:
    """A valid instance of the option ``group``."""
    return group(**_REQUIRED_FIELDS.get(group, {}))


class _Unrelated:
    """A value no prop or field accepts."""

    def __repr__(self) -> str:
        return "<unrelated>"


@pytest.mark.parametrize("prop", PROPS)
def test_every_prop_rejects_a_value_of_the_wrong_type(dockerfile_dir: Path, prop: str) -> None:
    props: dict[str, Any] = {"dockerfile_path": str(dockerfile_dir), prop: _Unrelated()}

    with pytest.raises(PipelineConfigurationError) as raised:
        BatchFilePipeline(cdk.Stack(cdk.App(), "Stack"), "Pipeline", **props)

    assert raised.value.prop == prop
    assert "a _Unrelated where" in str(raised.value) and "; write " in str(raised.value)


@pytest.mark.parametrize(("path", "group", "field"), FIELDS, ids=[f[0] for f in FIELDS])
def test_every_option_field_rejects_a_value_of_the_wrong_type(
    dockerfile_dir: Path, path: str, group: type, field: str
) -> None:
    prop = path.split(".")[0]
    options = dataclasses.replace(_valid(group), **{field: _Unrelated()})  # type: ignore[type-var]

    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(dockerfile_dir, **{prop: options})

    assert raised.value.prop == path
    assert "a _Unrelated where" in str(raised.value)


def test_every_wrong_prop_is_reported_at_once(dockerfile_dir: Path) -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(
            dockerfile_dir,
            compute=ComputeType.EC2,
            job=JobOptions(memory=4096, timeout=3600),  # type: ignore[arg-type]
            removal_policy="destroy",
        )

    assert [p.prop for p in raised.value.problems] == [
        "compute",
        "job.memory",
        "job.timeout",
        "removal_policy",
    ]
    assert str(raised.value).startswith("BatchFilePipeline: 4 props are wrong:")


def test_values_of_the_right_type_in_every_spelling_pass(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=dockerfile_dir,
        compute=ComputeOptions(instance_types=[], max_vcpus=16),
        job=JobOptions(
            vcpus=2, memory=Size.gibibytes(4), timeout=Duration.minutes(30), command=["run"]
        ),
        input_bucket=aws_s3.Bucket.from_bucket_name(stack, "Input", "my-lab-data"),
        notifications=NotificationOptions(emails=["a@b.org"]),
        mode=BulkOptions(max_files_per_job=100),
        removal_policy=RemovalPolicy.DESTROY,
    )


def test_an_object_jsii_knows_by_several_interfaces_is_checked_by_each(
    dockerfile_dir: Path,
) -> None:
    # Older jsii releases return some imported resources (e.g. ``Vpc.from_lookup``) as this
    # dynamic proxy, whose class implements nothing itself.
    from jsii._reference_map import InterfaceDynamicProxy

    stack = cdk.Stack(cdk.App(), "Stack")
    vpc = aws_ec2.Vpc(stack, "Vpc")
    bucket = aws_s3.Bucket(stack, "Bucket")

    BatchFilePipeline(
        stack, "Pipeline", dockerfile_path=dockerfile_dir, vpc=InterfaceDynamicProxy([vpc])
    )
    with pytest.raises(PipelineConfigurationError) as refused:
        BatchFilePipeline(
            stack, "Other", dockerfile_path=dockerfile_dir, vpc=InterfaceDynamicProxy([bucket])
        )
    assert refused.value.prop == "vpc"
