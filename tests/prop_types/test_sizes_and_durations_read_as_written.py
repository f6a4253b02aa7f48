"""An error shows a ``Size`` or ``Duration`` as the user writes it, never as a jsii object's repr.

Every prop and option field that takes one is walked from ``BatchFilePipeline``'s annotations
(into option groups, the sizing classes and the packing), so a field added later is covered too.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Size, aws_ec2, aws_s3

from batch_pipeline_construct import (
    AlarmOptions,
    ArrivalOptions,
    BatchFilePipeline,
    BucketOptions,
    BulkOptions,
    ComputeOptions,
    ComputeType,
    CostGuardOptions,
    JobOptions,
    JobSize,
    PackingOptions,
    PerFileOptions,
    PipelineConfigurationError,
    RecordOptions,
)
from batch_pipeline_construct._as_written import as_written
from tests.support.pipeline_builders import refusal

_Step = tuple[type, str, bool]
"""One step of a path to a field: the option group, its field, and whether it holds a list."""

_REQUIRED: dict[type, dict[str, Any]] = {
    JobSize: {"vcpus": 1, "memory": Size.gibibytes(2)},
    CostGuardOptions: {"monthly_budget_usd": 100.0},
}
"""Values for the fields that have no default."""


def _arms(hint: object) -> tuple[object, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _paths(hint: object, steps: tuple[_Step, ...] = ()) -> Iterator[tuple[tuple[_Step, ...], type]]:
    """Every path from ``hint`` to a ``Size`` or ``Duration`` field, with the field's type."""
    for arm in _arms(hint):
        if arm in (Size, Duration):
            yield steps, typing.cast(type, arm)
        if typing.get_origin(arm) in (Sequence, list, tuple):
            group, name, _ = steps[-1]
            yield from _paths(typing.get_args(arm)[0], (*steps[:-1], (group, name, True)))
        if isinstance(arm, type) and dataclasses.is_dataclass(arm):
            hints = typing.get_type_hints(arm)
            for field in dataclasses.fields(arm):
                yield from _paths(hints[field.name], (*steps, (arm, field.name, False)))


def _holding(steps: tuple[_Step, ...], value: object) -> object:
    """The option group of ``steps[0]`` with ``value`` at the end of the path, valid elsewhere."""
    (group, name, is_list), *rest = steps
    inner = _holding(tuple(rest), value) if rest else value
    return group(**{**_REQUIRED.get(group, {}), name: [inner] if is_list else inner})


def _cases() -> Iterator[Any]:
    hints = typing.get_type_hints(BatchFilePipeline.__init__)
    for prop, hint in hints.items():
        for steps, kind in _paths(hint):
            path = ".".join([prop] + [name + "[0]" * is_list for _, name, is_list in steps])
            # The other of the two types: a mistake every one of these fields refuses.
            wrong = Duration.minutes(5) if kind is Size else Size.gibibytes(10)
            yield pytest.param(prop, steps, wrong, id=f"{path} ({steps[-1][0].__name__})")


@pytest.mark.parametrize(("prop", "steps", "wrong"), list(_cases()))
def test_every_size_or_duration_field_shows_the_value_given_as_written(
    dockerfile_dir: Path, prop: str, steps: tuple[_Step, ...], wrong: object
) -> None:
    error = refusal(dockerfile_dir, **{prop: _holding(steps, wrong)})

    written = "Duration.minutes(5)" if isinstance(wrong, Duration) else "Size.gibibytes(10)"
    assert f"={written}: a {type(wrong).__name__} where" in str(error)
    assert " object at 0x" not in str(error)


EC2 = ComputeOptions(type=ComputeType.EC2)
LAST = JobSize(vcpus=4, memory=Size.gibibytes(16))

REFUSED: dict[str, tuple[dict[str, Any], str, str]] = {
    # id: (props, prop named, the value as the message shows it)
    "root-volume-on-fargate": (
        {"compute": ComputeOptions(root_volume_size=Size.gibibytes(100))},
        "compute.root_volume_size",
        "Size.gibibytes(100)",
    ),
    "root-volume-below-the-ami": (
        {"compute": ComputeOptions(type=ComputeType.EC2, root_volume_size=Size.gibibytes(8))},
        "compute.root_volume_size",
        "Size.gibibytes(8)",
    ),
    "memory-below-512-mib": (
        {"compute": EC2, "job": JobOptions(memory=Size.mebibytes(256))},
        "job.memory",
        "Size.mebibytes(256)",
    ),
    "memory-fargate-does-not-pair": (
        {"job": JobOptions(vcpus=1, memory=Size.mebibytes(16384))},
        "job.memory",
        "Size.gibibytes(16)",
    ),
    "memory-a-fraction-of-a-mib": (
        {"job": JobOptions(memory=Size.kibibytes(2048 * 1024 + 1))},
        "job.memory",
        "Size.kibibytes(2097153)",
    ),
    "timeout-under-a-minute": (
        {"job": JobOptions(timeout=Duration.seconds(30))},
        "job.timeout",
        "Duration.seconds(30)",
    ),
    "stuck-timeout-under-ten-minutes": (
        {"job": JobOptions(stuck_timeout=Duration.minutes(5))},
        "job.stuck_timeout",
        "Duration.minutes(5)",
    ),
    "ephemeral-storage-above-fargate-s": (
        {"job": JobOptions(ephemeral_storage=Size.gibibytes(500))},
        "job.ephemeral_storage",
        "Size.gibibytes(500)",
    ),
    "ephemeral-storage-on-ec2": (
        {"compute": EC2, "job": JobOptions(ephemeral_storage=Size.gibibytes(50))},
        "job.ephemeral_storage",
        "Size.gibibytes(50)",
    ),
    "class-memory-below-512-mib": (
        {"compute": EC2, "job": JobOptions(sizes=[JobSize(vcpus=1, memory=Size.mebibytes(256))])},
        "job.sizes[0].memory",
        "Size.mebibytes(256)",
    ),
    "class-bound-of-nothing": (
        {
            "job": JobOptions(
                sizes=[JobSize(up_to=Size.gibibytes(0), vcpus=1, memory=Size.gibibytes(2)), LAST]
            )
        },
        "job.sizes[0].up_to",
        "Size.bytes(0)",
    ),
    "last-class-bounded": (
        {
            "job": JobOptions(
                sizes=[JobSize(up_to=Size.mebibytes(512), vcpus=4, memory=Size.gibibytes(16))]
            )
        },
        "job.sizes[0].up_to",
        "Size.mebibytes(512)",
    ),
    "batching-window-above-5-minutes": (
        {"mode": PerFileOptions(max_batching_window=Duration.minutes(6))},
        "mode.max_batching_window",
        "Duration.minutes(6)",
    ),
    "function-timeout-under-10-seconds": (
        {"mode": PerFileOptions(function_timeout=Duration.seconds(5))},
        "mode.function_timeout",
        "Duration.seconds(5)",
    ),
    "bulk-batching-window-of-nothing": (
        {"mode": BulkOptions(batching_window=Duration.seconds(0))},
        "mode.batching_window",
        "Duration.seconds(0)",
    ),
    "expected-time-per-file-of-nothing": (
        {"mode": BulkOptions(packing=PackingOptions(expected_time_per_file=Duration.millis(0)))},
        "mode.packing.expected_time_per_file",
        "Duration.seconds(0)",
    ),
    "removed-file-records-ttl": (
        {"arrival": ArrivalOptions(file_records_ttl=Duration.days(7))},
        "arrival.file_records_ttl",
        "Duration.days(7)",
    ),
    "alarm-period-under-a-minute": (
        {"alarms": AlarmOptions(period=Duration.seconds(30))},
        "alarms.period",
        "Duration.seconds(30)",
    ),
    "retention-under-an-hour": (
        {"records": RecordOptions(retention=Duration.minutes(5))},
        "records.retention",
        "Duration.minutes(5)",
    ),
    "quiet-period-under-a-minute": (
        {"records": RecordOptions(run_quiet_period=Duration.seconds(30))},
        "records.run_quiet_period",
        "Duration.seconds(30)",
    ),
}


@pytest.mark.parametrize(("props", "prop", "written"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_refused_size_or_duration_is_shown_as_given(
    dockerfile_dir: Path, props: dict[str, Any], prop: str, written: str
) -> None:
    error = refusal(dockerfile_dir, **props)

    assert error.prop == prop
    assert isinstance(error.value, Size | Duration)
    assert str(error).startswith(f"BatchFilePipeline: invalid {prop}={written}: ")


def test_a_fraction_of_a_gib_is_advised_rounded_up() -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        JobOptions(ephemeral_storage=Size.mebibytes(100)).validate(ComputeOptions())

    assert "a whole number of GiB, e.g. Size.gibibytes(1)" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Size.gibibytes(10), "Size.gibibytes(10)"),
        (Size.mebibytes(10240), "Size.gibibytes(10)"),
        (Size.mebibytes(1536), "Size.mebibytes(1536)"),
        (Size.tebibytes(2), "Size.tebibytes(2)"),
        (Size.kibibytes(3), "Size.kibibytes(3)"),
        (Size.bytes(1_500_000_000), "Size.bytes(1500000000)"),
        (Size.gibibytes(0), "Size.bytes(0)"),
        (Duration.minutes(5), "Duration.minutes(5)"),
        (Duration.seconds(300), "Duration.minutes(5)"),
        (Duration.seconds(90), "Duration.seconds(90)"),
        (Duration.hours(48), "Duration.days(2)"),
        (Duration.millis(1500), "Duration.millis(1500)"),
        (Duration.seconds(0), "Duration.seconds(0)"),
    ],
)
def test_a_size_or_duration_reads_in_the_largest_unit_that_holds_it_whole(
    value: object, written: str
) -> None:
    assert as_written(value) == written


def test_a_size_or_duration_inside_an_option_group_or_list_reads_as_written() -> None:
    error = PipelineConfigurationError(
        "buckets",
        [BucketOptions(access_logs_retention=Duration.days(30)), {"memory": Size.gibibytes(4)}],
        "not a prop",
    )

    assert "access_logs_retention=Duration.days(30)" in str(error)
    assert "{'memory': Size.gibibytes(4)}]" in str(error)


def test_a_construct_an_enum_member_or_a_struct_reads_as_what_it_is() -> None:
    stack = cdk.Stack(cdk.App(), "Lab")
    bucket = aws_s3.Bucket(stack, "Input")
    imported = aws_s3.Bucket.from_bucket_name(stack, "Imported", "my-lab-data")
    public = aws_ec2.SubnetSelection(subnet_type=aws_ec2.SubnetType.PUBLIC)

    assert as_written(bucket) == "<aws_s3.Bucket Lab/Input>"
    assert as_written(imported) == "<aws_s3.BucketBase Lab/Imported>"
    assert as_written(ComputeType.EC2) == "ComputeType.EC2"
    assert as_written(public) == "SubnetSelection(subnet_type=SubnetType.PUBLIC)"


def test_a_construct_of_the_wrong_kind_is_named_by_its_type_and_path(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Lab")
    imported = aws_s3.Bucket.from_bucket_name(stack, "Imported", "my-lab-data")

    with pytest.raises(PipelineConfigurationError) as raised:
        BatchFilePipeline(stack, "Pipeline", dockerfile_path=str(dockerfile_dir), vpc=imported)  # type: ignore[arg-type]

    assert str(raised.value).startswith(
        "BatchFilePipeline: invalid vpc=<aws_s3.BucketBase Lab/Imported>: an aws_s3.BucketBase "
        "where an aws_ec2.IVpc is expected"
    )
