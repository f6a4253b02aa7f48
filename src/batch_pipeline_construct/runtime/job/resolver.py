"""Run a job container's command once per file, with the per-file job contract, in either mode.

The protocol, so that one container image serves both modes:

* Per-file job: the arrival function sets the contract variables (``INPUT_BUCKET``,
  ``INPUT_KEY``, ``INPUT_URI``, ``OUTPUT_BUCKET``, ``OUTPUT_PREFIX``, ``OUTPUT_URI``, their legacy
  names and, when known, ``INPUT_VERSION_ID`` and ``INPUT_SIZE``; see :mod:`.contract`) in the job's environment.
  The command runs once with them.
* Array child (bulk mode): the job's environment has ``MANIFEST_URI`` (``s3://bucket/key`` of a
  manifest, see :mod:`.manifest`) and AWS Batch sets ``AWS_BATCH_JOB_ARRAY_INDEX``. The child's
  share of the manifest's entries is read (the job role needs ``s3:GetObject`` on it) and the
  command runs once per file with that file's contract variables, up to the manifest's
  ``parallelism`` files side by side; one file's failure does not stop the others. Each file's
  outcome is recorded beside the manifest (see :mod:`.outcomes`; the job role needs
  ``s3:GetObject`` and ``s3:PutObject`` there, and ``s3:ListBucket`` on the bucket so that the
  first attempt's missing object is a 404, not a 403), so a new attempt of the child skips the
  files already done.

Exit codes (constants in :mod:`.exit_codes`). Your command, once per file:

* ``0``: the file is done;
* ``3``: this file is bad: recorded as failed, not run again;
* anything else: run again for that file in the same container, up to the manifest's
  ``maxFileAttempts`` (3 by default), then recorded as failed.

The resolver exits ``0`` when every file succeeded; a per-file job with your command's last
code (``4`` if that code is ``75``, which would ask Batch for another attempt); an array child with ``4`` when every file has an outcome but some failed. Its own failures
print one line naming what is wrong and exit with: ``2`` wrong arguments, ``64`` bad or missing
array index, ``65`` malformed manifest, ``66`` manifest missing (or not an S3 URI), ``75`` S3
unavailable after retries (reading the manifest or outcomes, or writing the outcomes), ``78`` no
contract in the environment, ``126`` command not executable, ``127`` command not found. Only ``75``
is worth another attempt of the job (it skips the files already done); the job definition's
retry rules treat every other code as final.

Use it as the container's entry point; it needs only the standard library and boto3, and this
package imports nothing outside itself. ``BatchFilePipeline`` stages it into the image's build
context as the package ``batch_pipeline_job`` (see the README), so in an image it runs as::

    python3 -m batch_pipeline_job.resolver -- my-program --flag
    python3 -m batch_pipeline_job.resolver --print

The first form runs ``my-program --flag`` as described; the second prints the job's contracts,
one JSON object a line.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from .contract import ARRAY_INDEX, CONTRACT_VARIABLES, MANIFEST_URI, JobContract
from .errors import (
    BadArrayIndex,
    ContractUnavailable,
    ManifestMissing,
    ManifestUnreadable,
    ResolverError,
    StorageUnavailable,
)
from .exit_codes import EXIT_DONE, EXIT_FILES_FAILED, EXIT_USAGE, RETRYABLE_EXIT_CODES
from .manifest import (
    DEFAULT_MAX_FILE_ATTEMPTS,
    Manifest,
    ManifestMalformed,
    outcomes_uri,
    read_manifest,
    split_s3_uri,
)
from .outcomes import ChildOutcomes, FileOutcome, LogLocation, log_location
from .runner import FileRun, run_file

__all__ = [
    "ContractUnavailable",
    "main",
    "resolve_contract",
]

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


_USAGE = "usage: python3 -m batch_pipeline_job.resolver (--print | -- CMD ARG...)"


@dataclass(frozen=True)
class PerFileJob:
    """A per-file job: its contract is in its environment."""

    contract: dict[str, str]
    """The contract's environment variables."""


@dataclass(frozen=True)
class ArrayChild:
    """A child of a bulk-mode array job and its share of the manifest."""

    manifest_uri: str
    """The manifest's ``s3://`` URI."""
    child: int
    """This child's array index."""
    manifest: Manifest
    """The manifest."""

    @property
    def entries(self) -> range:
        """The manifest entries this child processes."""
        return self.manifest.share(self.child)


def resolve_job(
    environ: Mapping[str, str] | None = None, *, s3: S3Client | None = None
) -> PerFileJob | ArrayChild:
    """What this job is for; a :class:`ResolverError` says what is missing or wrong."""
    env = os.environ if environ is None else environ
    manifest_uri = env.get(MANIFEST_URI)
    if manifest_uri is None:
        if "INPUT_KEY" not in env or "INPUT_BUCKET" not in env:
            raise ContractUnavailable(
                f"neither the contract variables (INPUT_BUCKET, INPUT_KEY) nor {MANIFEST_URI} "
                "are in the environment"
            )
        return PerFileJob({name: env[name] for name in CONTRACT_VARIABLES if name in env})
    raw_index = env.get(ARRAY_INDEX)
    if raw_index is None or not raw_index.strip().isdigit():
        raise BadArrayIndex(
            f"{MANIFEST_URI} is set but {ARRAY_INDEX} is {raw_index!r}, not a child's index"
        )
    try:
        bucket, key = split_s3_uri(manifest_uri)
    except ValueError as error:
        raise ManifestMissing(f"{MANIFEST_URI}: {error}") from None
    body = _read_manifest_object(s3 or _s3_client(), bucket, key, manifest_uri)
    try:
        manifest = read_manifest(body)
    except ManifestMalformed as error:
        raise ManifestUnreadable(f"manifest {manifest_uri} is malformed: {error}") from None
    child = ArrayChild(manifest_uri, int(raw_index), manifest)
    try:
        child.entries  # noqa: B018 (validates the index against the manifest)
    except IndexError as error:
        raise BadArrayIndex(f"manifest {manifest_uri}: {error}") from None
    return child


def resolve_contract(
    environ: Mapping[str, str] | None = None, *, s3: S3Client | None = None
) -> dict[str, str]:
    """The contract variables of a per-file job or of a one-file array child."""
    job = resolve_job(environ, s3=s3)
    if isinstance(job, PerFileJob):
        return job.contract
    entries = job.entries
    if len(entries) != 1:
        raise ContractUnavailable(
            f"child {job.child} of {job.manifest_uri} has {len(entries)} files; run a command "
            "with `-- CMD` to process each of them"
        )
    return job.manifest.contracts[entries[0]].environment()


def run_job(
    command: Sequence[str],
    job: PerFileJob | ArrayChild,
    *,
    environ: Mapping[str, str] | None = None,
    s3: S3Client | None = None,
    out: TextIO | None = None,
    retry_delay_seconds: float = 1.0,
) -> int:
    """Run ``command`` for every file of ``job`` not done yet; return the resolver's exit code."""
    env = dict(os.environ if environ is None else environ)
    stream = sys.stdout if out is None else out
    if isinstance(job, PerFileJob):
        run = run_file(
            command,
            {**env, **job.contract},
            max_attempts=DEFAULT_MAX_FILE_ATTEMPTS,
            out=stream,
            retry_delay=lambda attempt: retry_delay_seconds * attempt,
        )
        return EXIT_FILES_FAILED if run.exit_code in RETRYABLE_EXIT_CODES else run.exit_code
    return _run_child(command, job, env, s3 or _s3_client(), stream, retry_delay_seconds)


def _run_child(
    command: Sequence[str],
    job: ArrayChild,
    env: dict[str, str],
    s3: S3Client,
    out: TextIO,
    retry_delay_seconds: float,
) -> int:
    outcomes = ChildOutcomes(
        s3,
        outcomes_uri(job.manifest_uri, job.child),
        manifest_uri=job.manifest_uri,
        child=job.child,
    )
    earlier = outcomes.load()
    pending = [index for index in job.entries if index not in earlier]
    failed = [index for index, outcome in earlier.items() if outcome.get("status") != "succeeded"]
    _log(
        out,
        "child-start",
        manifest=job.manifest_uri,
        child=job.child,
        files=len(job.entries),
        done_before=len(earlier),
        parallelism=job.manifest.parallelism,
    )
    stop = threading.Event()
    fatal: list[ResolverError] = []

    def process(index: int) -> None:
        if stop.is_set():
            return
        contract = job.manifest.contracts[index]
        prefix = f"[{index}] "
        started_at = datetime.now(UTC)
        try:
            run = run_file(
                command,
                {**env, **contract.environment()},
                max_attempts=job.manifest.max_file_attempts,
                out=out,
                line_prefix=prefix,
                retry_delay=lambda attempt: retry_delay_seconds * attempt,
            )
        except ResolverError as error:  # the command cannot start: no file can succeed
            fatal.append(error)
            stop.set()
            return
        outcome = _outcome(index, contract, run, started_at, log_location(env, prefix))
        if not run.succeeded:
            failed.append(index)
        outcomes.record(outcome)
        _log(out, "file-outcome", **outcome.to_json())

    with ThreadPoolExecutor(max_workers=job.manifest.parallelism) as pool:
        list(pool.map(process, pending))
    if fatal:
        raise fatal[0]
    outcomes.flush()
    _log(
        out,
        "child-end",
        manifest=job.manifest_uri,
        child=job.child,
        succeeded=len(job.entries) - len(failed),
        failed=len(failed),
        puts=outcomes.puts,
    )
    return EXIT_FILES_FAILED if failed else EXIT_DONE


def _outcome(
    index: int, contract: JobContract, run: FileRun, started_at: datetime, log: LogLocation | None
) -> FileOutcome:
    return FileOutcome(
        index=index,
        contract=contract,
        status="succeeded" if run.succeeded else "failed",
        exit_code=run.exit_code,
        attempts=run.attempts,
        reason=run.reason,
        started_at=started_at,
        duration_seconds=run.duration_seconds,
        log=log,
    )


def _read_manifest_object(s3: S3Client, bucket: str, key: str, uri: str) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "NoSuchBucket", "404", "AccessDenied", "403"):
            raise ManifestMissing(f"manifest {uri} cannot be read: {code}") from None
        raise StorageUnavailable(f"manifest {uri}: S3 answered {code or error}") from None
    except BotoCoreError as error:
        raise StorageUnavailable(f"manifest {uri}: {error}") from None


def _s3_client() -> S3Client:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def _log(out: TextIO, event: str, **fields: object) -> None:
    out.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``--print`` or ``-- CMD ARG...`` (see the module documentation)."""
    args = list(sys.argv[1:] if argv is None else argv)
    printing = args == ["--print"]
    if not printing and (len(args) < 2 or args[0] != "--"):
        print(_USAGE, file=sys.stderr)
        return EXIT_USAGE
    try:
        job = resolve_job()
        if not printing:
            return run_job(args[1:], job)
        contracts = (
            [job.contract]
            if isinstance(job, PerFileJob)
            else [job.manifest.contracts[index].environment() for index in job.entries]
        )
        for contract in contracts:
            print(json.dumps(contract, ensure_ascii=False, sort_keys=True))
        return EXIT_DONE
    except ResolverError as error:
        print(f"batch-pipeline resolver: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
