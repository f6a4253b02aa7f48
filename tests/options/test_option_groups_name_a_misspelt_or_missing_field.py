"""A misspelt keyword to an option group fails with the class, the name given and the field meant;
a required field left out fails naming it.

Python's own ``TypeError: __init__() got an unexpected keyword argument`` (or ``missing 1 required
argument``) names neither; every option group of the public API refuses them as a
:class:`PipelineConfigurationError` instead.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import batch_pipeline_construct
from batch_pipeline_construct import (
    ComputeOptions,
    CostGuardOptions,
    JobOptions,
    JobSize,
    PipelineConfigurationError,
)
from batch_pipeline_construct.errors import TRACEBACK_VARIABLE

OPTION_GROUPS: list[Any] = [
    group
    for group in (
        getattr(batch_pipeline_construct, name) for name in batch_pipeline_construct.__all__
    )
    if dataclasses.is_dataclass(group)
]


@pytest.mark.parametrize("group", OPTION_GROUPS, ids=lambda group: group.__name__)
def test_every_option_group_names_the_field_a_misspelt_keyword_meant(group: Any) -> None:
    meant = dataclasses.fields(group)[-1].name
    misspelt = meant[:-1]

    with pytest.raises(PipelineConfigurationError) as raised:
        group(**{misspelt: 1})

    assert raised.value.prop == f"{group.__name__}.{misspelt}"
    assert raised.value.value == 1
    assert f"not a field of {group.__name__}; did you mean {meant}=?" in str(raised.value)


REQUIRED_FIELDS = [
    (group, field.name)
    for group in OPTION_GROUPS
    for field in dataclasses.fields(group)
    if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
]


@pytest.mark.parametrize(
    ("group", "name"), REQUIRED_FIELDS, ids=[f"{g.__name__}.{n}" for g, n in REQUIRED_FIELDS]
)
def test_every_required_field_left_out_is_named(group: Any, name: str) -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        group()

    assert f"{group.__name__}.{name}" in [p.prop for p in raised.value.problems]
    assert f"invalid {group.__name__}.{name}=(not given): required, " in str(raised.value)


def test_a_required_field_given_by_position_counts_as_given() -> None:
    assert CostGuardOptions(50).monthly_budget_usd == 50

    with pytest.raises(PipelineConfigurationError) as raised:
        JobSize(vcpus=1)  # type: ignore[call-arg]

    assert [p.prop for p in raised.value.problems] == ["JobSize.memory"]
    assert "write Size.gibibytes(2) or Size.mebibytes(2048)" in str(raised.value)


def test_every_misspelt_keyword_is_reported_at_once() -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        ComputeOptions(max_vcpu=4, spots=True)  # type: ignore[call-arg]

    assert [p.prop for p in raised.value.problems] == [
        "ComputeOptions.max_vcpu",
        "ComputeOptions.spots",
    ]
    assert "did you mean max_vcpus=?" in str(raised.value)
    assert "did you mean spot=?" in str(raised.value)


def test_a_keyword_like_no_field_lists_the_fields() -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        JobOptions(dockerfile="Dockerfile")  # type: ignore[call-arg]

    assert "did you mean" not in str(raised.value)
    assert "the fields are vcpus, memory, gpus," in str(raised.value)


def test_correct_keywords_still_build_the_option_group() -> None:
    job = JobOptions(vcpus=2, retry_attempts=5)

    assert (job.vcpus, job.retry_attempts) == (2, 5)
    assert dataclasses.replace(job, vcpus=4).vcpus == 4


def test_a_misspelt_keyword_ends_the_app_in_one_line(tmp_path: Path) -> None:
    app = "from batch_pipeline_construct import JobOptions\nJobOptions(vcpu=2)\n"

    ran = subprocess.run(
        [sys.executable, "-c", app],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if key != TRACEBACK_VARIABLE},
    )

    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    assert ran.stderr.splitlines()[0] == (
        "BatchFilePipeline: invalid JobOptions.vcpu=2: not a field of JobOptions; did you mean "
        "vcpus=? the fields are vcpus, memory, gpus, command, environment, timeout, "
        "retry_attempts, ephemeral_storage, sizes, stuck_timeout"
    )
