"""The operator CLI reads the arrival function's settings, submits jobs for objects already in
the input bucket, and moves dead-lettered messages back to the arrival queue."""

from __future__ import annotations

import io
import zipfile

import boto3
import pytest

from batch_pipeline_construct.runtime.operator.cli import main
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline, environment, s3_body, s3_record

FUNCTION = "pipeline-arrival"


@pytest.fixture
def function(pipeline: Pipeline) -> str:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("runtime/arrival/handler.py", "def handler(event, context):\n    pass\n")
    role = boto3.client("iam").create_role(RoleName="arrival", AssumeRolePolicyDocument="{}")
    boto3.client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="runtime.arrival.handler.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": dict(pipeline.environ)},
    )
    s3 = boto3.client("s3")
    for key in ["old/a.csv", "old/b b.csv", "old/notes.txt", "old/sub/", "other/c.csv"]:
        s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"data")
    return FUNCTION


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


def test_redrive_moves_dead_letters_back(
    pipeline: Pipeline, function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs")
    bodies = [s3_body(s3_record(f"retry/{n}.csv")) for n in range(13)]
    for body in bodies:
        sqs.send_message(QueueUrl=pipeline.dead_letter_queue_url, MessageBody=body)

    assert main(["redrive", "--function", function, "--max", "5"]) == 0
    assert capsys.readouterr().out.strip() == "moved=5 failed=0"
    assert main(["redrive", "--function", function]) == 0
    assert capsys.readouterr().out.strip() == "moved=8 failed=0"

    assert pipeline.dead_letters() == []
    assert sorted(m["Body"] for m in pipeline.queued()) == sorted(bodies)
