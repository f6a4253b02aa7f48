"""``reprocess`` submits jobs for objects already in the input bucket."""

from __future__ import annotations

import boto3
import pytest

from batch_pipeline_construct.runtime.operator.cli import main
from tests.runtime.operator.deployed import FUNCTION, deploy_function
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline, environment


@pytest.fixture
def function(pipeline: Pipeline) -> str:
    """The arrival function, and objects in the input bucket from before the pipeline."""
    s3 = boto3.client("s3")
    for key in ["old/a.csv", "old/b b.csv", "old/notes.txt", "old/sub/", "other/c.csv"]:
        s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"data")
    return deploy_function(FUNCTION, dict(pipeline.environ))


def test_reprocess_submits_one_job_per_matching_object(
    pipeline: Pipeline, function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["reprocess", "--function", function, "--prefix", "old/", "--suffix", ".csv"])

    assert code == 0
    assert sorted(environment(job)["INPUT_KEY"] for job in pipeline.jobs()) == [
        "old/a.csv",
        "old/b b.csv",
    ]
    assert capsys.readouterr().out.splitlines()[-1] == "listed=2 submitted=2 failed=0 retries=0"


def test_reprocess_is_deliberate_so_it_runs_again(pipeline: Pipeline, function: str) -> None:
    main(["reprocess", "--function", function, "--prefix", "other/"])
    main(["reprocess", "--function", function, "--prefix", "other/"])

    assert len(pipeline.jobs()) == 2


def test_a_dry_run_submits_nothing(
    pipeline: Pipeline, function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reprocess", "--function", function, "--dry-run"]) == 0

    assert pipeline.jobs() == []
    out = capsys.readouterr().out
    assert "s3://pipeline-input/old/notes.txt" in out
    assert out.splitlines()[-1].startswith("listed=4 ")
