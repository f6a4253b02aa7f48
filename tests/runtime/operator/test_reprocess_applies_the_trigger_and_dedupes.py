"""``reprocess`` submits exactly the objects the bucket notification would have announced, through
the arrival code's dedupe (``--force`` to process again), one array job per batch in bulk mode."""

from __future__ import annotations

import json

import boto3
import pytest

from batch_pipeline_construct.runtime import settings
from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.operator.errors import EXIT_UNUSABLE
from tests.runtime.operator.deployed import deploy_function
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline, environment

KEYS = [
    "raw/a.csv",
    "raw/b b.csv",
    "raw/notes.txt",
    "raw/sub/",
    "README.txt",
    "notes/plan.docx",
    "results/raw/a.csv/summary.csv",
]


def _upload(keys: list[str], *, versioned: bool = True) -> None:
    s3 = boto3.client("s3")
    if versioned:
        s3.put_bucket_versioning(Bucket=INPUT_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for key in keys:
        s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"data")


def _function(pipeline: Pipeline, **variables: str | None) -> str:
    pipeline.configure(**variables)
    return deploy_function("arrival", dict(pipeline.environ))


def _reprocess(function: str, *arguments: str) -> list[str]:
    return ["reprocess", "--function", function, "--rate", "1000", "--json", *arguments]


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    document = json.loads(capsys.readouterr().out)
    assert isinstance(document, dict)
    return document


def _submitted_keys(pipeline: Pipeline) -> list[str]:
    return sorted(environment(job)["INPUT_KEY"] for job in pipeline.jobs())


@pytest.fixture
def csv_in_raw(pipeline: Pipeline) -> str:
    """A pipeline triggered by raw/*.csv, and a bucket with other objects too."""
    _upload(KEYS)
    return _function(
        pipeline, **{settings.TRIGGER_PREFIX: "raw/", settings.TRIGGER_SUFFIXES: '[".csv"]'}
    )


def test_only_what_the_trigger_matches_is_submitted(
    pipeline: Pipeline, csv_in_raw: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_reprocess(csv_in_raw)) == 0

    assert _submitted_keys(pipeline) == ["raw/a.csv", "raw/b b.csv"]
    document = _json(capsys)
    assert document["listed"] == len(KEYS)
    assert document["left_out"] == {"outside the pipeline's trigger": 4, "folder marker": 1}
    assert document["outcomes"] == {"submitted": 2}
    assert document["submit_calls"] == 2


def test_the_same_versions_are_not_submitted_twice_unless_forced(
    pipeline: Pipeline, csv_in_raw: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(_reprocess(csv_in_raw))
    capsys.readouterr()

    assert main(_reprocess(csv_in_raw)) == 0
    assert _json(capsys)["outcomes"] == {"duplicate": 2}
    assert len(pipeline.jobs()) == 2

    assert main(_reprocess(csv_in_raw, "--force")) == 0
    assert _json(capsys)["outcomes"] == {"submitted": 2}
    assert len(pipeline.jobs()) == 4


def test_a_new_version_is_a_new_file(
    pipeline: Pipeline, csv_in_raw: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(_reprocess(csv_in_raw))
    boto3.client("s3").put_object(Bucket=INPUT_BUCKET, Key="raw/a.csv", Body=b"v2")
    capsys.readouterr()

    assert main(_reprocess(csv_in_raw)) == 0

    assert _json(capsys)["outcomes"] == {"duplicate": 1, "submitted": 1}
    assert _submitted_keys(pipeline) == ["raw/a.csv", "raw/a.csv", "raw/b b.csv"]


def test_a_shared_bucket_never_reprocesses_the_pipelines_own_objects(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    _upload(["in/a.csv", "results/in/a.csv/out.csv", "_runs/r1/report.csv", "_manifests/m.csv"])
    function = _function(
        pipeline,
        **{
            settings.OUTPUT_BUCKET: INPUT_BUCKET,
            settings.OUTPUT_ROOT_PREFIX: "results/",
            settings.TRIGGER_SUFFIXES: '[".csv"]',
        },
    )

    assert main(_reprocess(function)) == 0

    assert _submitted_keys(pipeline) == ["in/a.csv"]
    assert _json(capsys)["left_out"] == {"written by the pipeline (outputs, manifests, reports)": 3}


def test_bulk_mode_submits_array_jobs(bulk: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    _upload([f"raw/{n:03d}.csv" for n in range(150)])
    function = _function(bulk, **{settings.TRIGGER_PREFIX: "raw/"})

    assert main(_reprocess(function)) == 0

    assert _json(capsys)["outcomes"] == {"submitted": 150}
    jobs = bulk.jobs()
    assert len(jobs) == 2  # the bulk fixture's 100 files per array job: 100 and 50
    assert all(job["arrayProperties"]["size"] >= 2 for job in jobs)


def test_a_dry_run_lists_and_submits_nothing(
    pipeline: Pipeline, csv_in_raw: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reprocess", "--function", csv_in_raw, "--dry-run"]) == 0

    assert pipeline.jobs() == []
    out = capsys.readouterr().out.splitlines()
    assert [line.rsplit(" for ", 1)[1] for line in out[:-1]] == [
        "s3://pipeline-input/raw/a.csv",
        "s3://pipeline-input/raw/b b.csv",
    ]
    assert out[-1].startswith("listed 7 objects, 2 selected (left out: ")


def test_an_unversioned_bucket_needs_force(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    _upload(["a.csv"], versioned=False)
    function = _function(pipeline)

    assert main(_reprocess(function)) == EXIT_UNUSABLE
    assert capsys.readouterr().err == (
        "batch-pipeline: error: the input bucket 'pipeline-input' is not versioned, so"
        " reprocess cannot tell processed files from new ones; pass --force to submit every"
        " file it selects\n"
    )
    assert main(_reprocess(function, "--force")) == 0
    assert _submitted_keys(pipeline) == ["a.csv"]
