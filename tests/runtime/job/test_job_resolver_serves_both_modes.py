"""One container image serves both modes: the resolver returns the per-file contract as it is,
and reads an array child's files from the manifest."""

from __future__ import annotations

import json

import pytest

from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.manifest import PackingSettings
from batch_pipeline_construct.runtime.job.resolver import (
    ContractUnavailable,
    main,
    resolve_contract,
)
from tests.runtime.job.job_container import INPUT_BUCKET, OUTPUT_BUCKET, Resolver, S3Server

PER_FILE = JobContract("in", "dir/a b.csv", "out", "dir/a b.csv/", "v7").environment()


def test_a_per_file_contract_is_returned_as_it_is() -> None:
    environ = {**PER_FILE, "PATH": "/usr/bin", "HOME": "/root"}

    assert resolve_contract(environ) == PER_FILE


def test_a_one_file_child_gets_its_entry(s3_server: S3Server) -> None:
    uri, _ = s3_server.put_manifest(["k0", "k1", "k2"], PackingSettings(files_per_child=1))
    environ = {"MANIFEST_URI": uri, "AWS_BATCH_JOB_ARRAY_INDEX": "2"}

    expected = JobContract(INPUT_BUCKET, "k2", OUTPUT_BUCKET, "k2/").environment()
    assert resolve_contract(environ) == expected


def test_a_many_file_child_has_no_single_contract(s3_server: S3Server) -> None:
    uri, _ = s3_server.put_manifest(
        ["k0", "k1", "k2", "k3"], PackingSettings(files_per_child=2, min_children=2)
    )

    with pytest.raises(ContractUnavailable, match="has 2 files"):
        resolve_contract({"MANIFEST_URI": uri, "AWS_BATCH_JOB_ARRAY_INDEX": "0"})


def test_an_environment_without_a_contract_is_an_error() -> None:
    with pytest.raises(ContractUnavailable):
        resolve_contract({})


def test_print_writes_each_contract_of_the_child_as_json(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, _ = s3_server.put_manifest(
        ["x.csv", "y.csv", "z.csv", "w.csv"], PackingSettings(files_per_child=2, min_children=2)
    )
    monkeypatch.setenv("MANIFEST_URI", uri)
    monkeypatch.setenv("AWS_BATCH_JOB_ARRAY_INDEX", "1")

    assert main(["--print"]) == 0

    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [contract["INPUT_KEY"] for contract in printed] == ["z.csv", "w.csv"]


def test_a_per_file_job_runs_the_command_with_the_contract(resolver: Resolver) -> None:
    completed = resolver.run(
        **JobContract(INPUT_BUCKET, "ok-a b.csv", OUTPUT_BUCKET, "ok-a b.csv/").environment()
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "processing ok-a b.csv into s3://job-output/ok-a b.csv/"
    assert resolver.runs() == ["ok-a b.csv"]
