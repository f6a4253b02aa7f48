"""A name that is not a prop (one of 0.1.0, or a typo) fails with our error, not Python's TypeError.

0.1.0's ``notification_emails``, ``bulk``, ``vpc_subnets`` and ``topic_encryption_key`` moved into
option groups; a researcher upgrading an app must be told where each went.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_pipeline_construct import BatchFilePipeline
from batch_pipeline_construct._prop_types import RENAMED_PROPS
from tests.support.pipeline_builders import refusal


@pytest.mark.parametrize(("old", "instead"), sorted(RENAMED_PROPS.items()))
def test_a_prop_of_0_1_0_says_what_to_write_now(
    dockerfile_dir: Path, old: str, instead: str
) -> None:
    error = refusal(dockerfile_dir, **{old: "a@b.org"})

    assert error.prop == old
    assert error.value == "a@b.org"
    assert instead in error.allowed


def test_a_misspelt_prop_is_told_the_nearest_prop_and_every_prop(dockerfile_dir: Path) -> None:
    error = refusal(dockerfile_dir, notification="a@b.org")

    assert error.prop == "notification"
    assert "did you mean notifications=?" in error.allowed
    assert "dockerfile_path" in error.allowed
    assert "not_props" not in error.allowed


def test_unknown_props_are_reported_with_the_wrong_types_all_at_once(dockerfile_dir: Path) -> None:
    error = refusal(dockerfile_dir, bulk=True, dashboard="yes")

    assert sorted(problem.prop for problem in error.problems) == ["bulk", "dashboard"]


def test_type_checkers_see_no_extra_props_in_the_signature() -> None:
    # ``**not_props: Never`` accepts no value, so mypy and pyright flag any unknown keyword.
    assert BatchFilePipeline.__init__.__annotations__["not_props"] == "Never"
