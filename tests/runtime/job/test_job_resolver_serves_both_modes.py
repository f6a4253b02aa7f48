"""One container image serves both modes: the resolver returns the per-file contract as it is,
and reads an array child's entry from the manifest."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from runtime_pipeline import OUTPUT_BUCKET, Pipeline

from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.manifest import manifest_body
from batch_pipeline_construct.runtime.job.resolver import (
    ContractUnavailable,
    main,
    resolve_contract,
)

PER_FILE = JobContract("in", "dir/a b.csv", "out", "dir/a b.csv/", "v7").environment()


def test_a_per_file_contract_is_returned_as_it_is() -> None:
    environ = {**PER_FILE, "PATH": "/usr/bin", "HOME": "/root"}

    assert resolve_contract(environ) == PER_FILE


def test_an_array_child_gets_its_entry(pipeline: Pipeline) -> None:
    contracts = [JobContract("in", f"k{n}", OUTPUT_BUCKET, f"r/k{n}/") for n in range(3)]
    boto3.client("s3").put_object(
        Bucket=OUTPUT_BUCKET, Key="m.json", Body=manifest_body(contracts, OUTPUT_BUCKET)
    )
    environ = {"MANIFEST_URI": f"s3://{OUTPUT_BUCKET}/m.json", "AWS_BATCH_JOB_ARRAY_INDEX": "2"}

    assert resolve_contract(environ) == contracts[2].environment()


@pytest.mark.parametrize(
    "environ",
    [{}, {"MANIFEST_URI": "s3://b/m.json"}],
    ids=["nothing", "manifest without index"],
)
def test_an_environment_without_a_contract_is_an_error(environ: dict[str, str]) -> None:
    with pytest.raises(ContractUnavailable):
        resolve_contract(environ)


def test_print_writes_the_contract_as_json(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    contracts = [
        JobContract("in", "x.csv", OUTPUT_BUCKET, "x.csv/"),
        JobContract("in", "y.csv", OUTPUT_BUCKET, "y.csv/"),
    ]
    boto3.client("s3").put_object(
        Bucket=OUTPUT_BUCKET, Key="m.json", Body=manifest_body(contracts, OUTPUT_BUCKET)
    )
    monkeypatch.setenv("MANIFEST_URI", f"s3://{OUTPUT_BUCKET}/m.json")
    monkeypatch.setenv("AWS_BATCH_JOB_ARRAY_INDEX", "1")

    assert main(["--print"]) == 0

    assert json.loads(capsys.readouterr().out)["INPUT_KEY"] == "y.csv"


def test_the_command_runs_with_the_contract_in_its_environment() -> None:
    script = "import os; print(os.environ['INPUT_KEY'] + '|' + os.environ['OUTPUT_URI'])"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "batch_pipeline_construct.runtime.job.resolver",
            "--",
            sys.executable,
            "-c",
            script,
        ],
        env={**PER_FILE, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.strip() == "dir/a b.csv|s3://out/dir/a b.csv/"


def test_without_a_command_it_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
