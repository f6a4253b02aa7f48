"""Each failure of the resolver itself prints one line naming what is wrong and exits with a code
of its own, so the job definition's retry rules can tell them from the user's program failing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from batch_pipeline_construct.runtime.job import exit_codes
from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.errors import StorageUnavailable
from batch_pipeline_construct.runtime.job.manifest import PackingSettings
from batch_pipeline_construct.runtime.job.resolver import resolve_job
from tests.runtime.job.job_container import OUTPUT_BUCKET, Resolver, S3Server

PER_FILE = JobContract("job-input", "ok-1.csv", "job-output", "ok-1.csv/").environment()


class _Body:
    """The raw body of a response made up at the HTTP layer."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Any:
        yield self._content


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr  # one line, no traceback
    return lines[0]


def test_a_missing_manifest_is_named(resolver: Resolver) -> None:
    uri = f"s3://{OUTPUT_BUCKET}/_manifests/gone.json"

    completed = resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX="0")

    assert completed.returncode == exit_codes.EXIT_MANIFEST_MISSING
    assert uri in one_line(completed.stderr)
    assert "NoSuchKey" in completed.stderr


def test_a_manifest_uri_that_is_not_s3_is_named(resolver: Resolver) -> None:
    completed = resolver.run(
        MANIFEST_URI="https://example.org/m.json", AWS_BATCH_JOB_ARRAY_INDEX="0"
    )

    assert completed.returncode == exit_codes.EXIT_MANIFEST_MISSING
    assert "https://example.org/m.json" in one_line(completed.stderr)


def test_a_malformed_manifest_says_what_is_wrong(resolver: Resolver, s3_server: S3Server) -> None:
    s3_server.client.put_object(Bucket=OUTPUT_BUCKET, Key="_manifests/x.json", Body=b'{"v": 1')

    completed = resolver.run(
        MANIFEST_URI=f"s3://{OUTPUT_BUCKET}/_manifests/x.json", AWS_BATCH_JOB_ARRAY_INDEX="0"
    )

    assert completed.returncode == exit_codes.EXIT_MANIFEST_MALFORMED
    assert "malformed: not JSON" in one_line(completed.stderr)


@pytest.mark.parametrize(
    ("index", "complaint"),
    [("7", "children 0 to 2"), ("-1", "'-1', not a child's index"), (None, "None")],
    ids=["beyond the children", "negative", "missing"],
)
def test_a_bad_array_index_is_named(
    resolver: Resolver, s3_server: S3Server, index: str | None, complaint: str
) -> None:
    uri, _ = s3_server.put_manifest(["ok-1", "ok-2", "ok-3"], PackingSettings())
    environ = {"MANIFEST_URI": uri} | (
        {} if index is None else {"AWS_BATCH_JOB_ARRAY_INDEX": index}
    )

    completed = resolver.run(**environ)

    assert completed.returncode == exit_codes.EXIT_BAD_INDEX
    assert complaint in one_line(completed.stderr)
    assert resolver.runs() == []


def test_no_contract_and_no_manifest_is_named(resolver: Resolver) -> None:
    completed = resolver.run()

    assert completed.returncode == exit_codes.EXIT_NO_CONTRACT
    assert "MANIFEST_URI" in one_line(completed.stderr)


def test_a_command_that_is_not_there_exits_127(resolver: Resolver, s3_server: S3Server) -> None:
    uri, _ = s3_server.put_manifest(["ok-1", "ok-2"], PackingSettings())
    resolver.command = ["no-such-program-anywhere", "--flag"]

    as_child = resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX="1")
    per_file = resolver.run(**PER_FILE)

    for completed in (as_child, per_file):
        assert completed.returncode == exit_codes.EXIT_COMMAND_NOT_FOUND
        assert "command not found: 'no-such-program-anywhere'" in one_line(completed.stderr)


def test_s3_failing_after_botocores_retries_is_worth_a_new_attempt(s3_server: S3Server) -> None:
    uri, _ = s3_server.put_manifest(["ok-1", "ok-2"], PackingSettings())
    client = boto3.client("s3")
    calls: list[str] = []

    def internal_error(request: Any, **_: Any) -> AWSResponse:
        calls.append(request.url)
        return AWSResponse(
            request.url, 500, {}, _Body(b"<Error><Code>InternalError</Code></Error>")
        )

    client.meta.events.register("before-send.s3.GetObject", internal_error)

    with pytest.raises(StorageUnavailable, match="S3 answered InternalError") as raised:
        resolve_job({"MANIFEST_URI": uri, "AWS_BATCH_JOB_ARRAY_INDEX": "0"}, s3=client)

    assert raised.value.exit_code == exit_codes.EXIT_TRY_AGAIN
    assert exit_codes.RETRYABLE_EXIT_CODES == (exit_codes.EXIT_TRY_AGAIN,)
    assert len(calls) > 1  # botocore's own retries ran before the resolver gave up


def test_a_per_file_job_exits_with_the_commands_code(resolver: Resolver) -> None:
    bad = JobContract("job-input", "bad-1.csv", "job-output", "bad-1.csv/").environment()

    completed = resolver.run(**bad)

    assert completed.returncode == exit_codes.EXIT_DO_NOT_RETRY
    assert resolver.runs() == ["bad-1.csv"]


def test_a_per_file_command_asking_for_a_retry_does_not_get_one_from_batch(
    resolver: Resolver, tmp_path: Path
) -> None:
    script = tmp_path / "tempfail.py"
    script.write_text("import sys; sys.exit(75)")
    resolver.command = [sys.executable, str(script)]

    completed = resolver.run(**PER_FILE)

    # Its attempts in the container are spent; 75 would make Batch run the whole job again.
    assert completed.returncode == exit_codes.EXIT_FILES_FAILED


def test_wrong_arguments_print_the_usage(resolver: Resolver) -> None:
    resolver.command = []

    completed = resolver.run(**PER_FILE)

    assert completed.returncode == exit_codes.EXIT_USAGE
    assert "usage:" in one_line(completed.stderr)


def test_every_resolver_code_is_either_retried_or_final() -> None:
    codes = {
        value
        for name, value in vars(exit_codes).items()
        if name.startswith("EXIT_") and name not in ("EXIT_DONE", "EXIT_DO_NOT_RETRY")
    }

    assert codes == set(exit_codes.RETRYABLE_EXIT_CODES) | set(exit_codes.FINAL_EXIT_CODES)
    assert not set(exit_codes.RETRYABLE_EXIT_CODES) & set(exit_codes.FINAL_EXIT_CODES)
