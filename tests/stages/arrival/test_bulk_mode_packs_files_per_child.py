"""Bulk mode packs files: the construct sizes children from the expected time per file and the
job's vCPUs, hands the packing to the arrival function, and lets children record outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import Duration, Size

from batch_pipeline_construct import (
    BulkOptions,
    JobOptions,
    PackingOptions,
    PipelineConfigurationError,
)
from batch_pipeline_construct.runtime import settings
from batch_pipeline_construct.runtime.job.manifest import PackingSettings
from tests.support.pipeline_builders import resources, template_of


def _arrival_settings(dockerfile_dir: Path, **props: object) -> settings.ArrivalSettings:
    template = template_of(dockerfile_dir, **props)
    function = next(
        f for k, f in resources(template, "AWS::Lambda::Function").items() if "Arrival" in k
    )
    return settings.ArrivalSettings.from_environ(function["Properties"]["Environment"]["Variables"])


def test_by_default_a_child_works_at_most_five_minutes_of_one_second_files(
    dockerfile_dir: Path,
) -> None:
    received = _arrival_settings(dockerfile_dir, mode=BulkOptions())

    # A quiet batch spreads over what 256 vCPUs run at once: 256 one-vCPU children.
    assert received.packing == PackingSettings(
        files_per_child=300, min_children=20, parallelism=1, max_file_attempts=3, capacity=256
    )


def test_children_are_sized_from_the_expected_time_and_the_jobs_vcpus(
    dockerfile_dir: Path,
) -> None:
    received = _arrival_settings(
        dockerfile_dir,
        job=JobOptions(vcpus=4, memory=Size.gibibytes(8)),
        mode=BulkOptions(
            packing=PackingOptions(
                expected_time_per_file=Duration.seconds(30), min_children=5, max_file_attempts=2
            )
        ),
    )

    # 300 s of work, 4 files side by side, 30 s each: 40 files per child.
    assert received.packing == PackingSettings(
        files_per_child=40, min_children=5, parallelism=4, max_file_attempts=2, capacity=64
    )


def test_an_explicit_files_per_child_wins(dockerfile_dir: Path) -> None:
    received = _arrival_settings(
        dockerfile_dir, mode=BulkOptions(packing=PackingOptions(files_per_child=1))
    )

    assert received.files_per_child == 1


def test_children_may_write_outcomes_beside_manifests_only(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, mode=BulkOptions(), output_prefix="results/")
    written: set[str] = set()
    for policy in resources(template, "AWS::IAM::Policy").values():
        if not any("JobRole" in role["Ref"] for role in policy["Properties"]["Roles"]):
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "s3:PutObject" in statement["Action"]:
                written.add(statement["Resource"]["Fn::Join"][1][-1])

    assert written == {"/results/*", "/_manifests/*/outcomes/*"}


@pytest.mark.parametrize(
    ("packing", "prop"),
    [
        (PackingOptions(files_per_child=0), "mode.packing.files_per_child"),
        (PackingOptions(parallelism=0), "mode.packing.parallelism"),
        (PackingOptions(min_children=1), "mode.packing.min_children"),
        (PackingOptions(max_file_attempts=11), "mode.packing.max_file_attempts"),
        (
            PackingOptions(expected_time_per_file=Duration.seconds(0)),
            "mode.packing.expected_time_per_file",
        ),
        (
            PackingOptions(files_per_child=100, expected_time_per_file=Duration.minutes(1)),
            "mode.packing.files_per_child",
        ),
        (  # the most files a child gets, 61 one-minute files, do not fit the hour
            PackingOptions(files_per_child=61, expected_time_per_file=Duration.minutes(1)),
            "mode.packing.files_per_child",
        ),
    ],
)
def test_packing_that_cannot_work_fails_at_synth(
    dockerfile_dir: Path, packing: PackingOptions, prop: str
) -> None:
    with pytest.raises(PipelineConfigurationError, match=prop.replace(".", r"\.")):
        template_of(dockerfile_dir, mode=BulkOptions(packing=packing))
