"""The minimal example's whole template, as a user's snapshot test sees it (asset hashes normalized).

The snapshot documents the infrastructure; the construct's promises are asserted elsewhere.
Here we also check that the snapshot is stable: editing the job's Dockerfile changes the raw
template but not the normalized one, while changing a prop does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from batch_pipeline_construct import BatchFilePipeline, JobOptions
from batch_pipeline_construct.testing import normalize_template

EXAMPLE = Path(__file__).parents[2] / "examples" / "minimal"


def _template(container: Path, **props: Any) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "MinimalBatchPipeline")
    BatchFilePipeline(stack, "Pipeline", dockerfile_path=str(container), **props)
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


@pytest.fixture
def container(tmp_path: Path) -> Path:
    """A copy of the example's container folder that a test may edit."""
    return Path(shutil.copytree(EXAMPLE / "container", tmp_path / "container"))


def test_example_stack_matches_snapshot(
    template_snapshot: SnapshotAssertion, container: Path
) -> None:
    assert template_snapshot == _template(container)


def test_dockerfile_edit_leaves_the_normalized_template_alone(container: Path) -> None:
    before = _template(container)
    with (container / "Dockerfile").open("a") as dockerfile:
        dockerfile.write("RUN echo 'a new line in the job image'\n")
    after = _template(container)
    assert before != after
    assert normalize_template(before) == normalize_template(after)


def test_prop_change_changes_the_normalized_template(container: Path) -> None:
    assert normalize_template(_template(container)) != normalize_template(
        _template(container, job=JobOptions(retry_attempts=2))
    )
