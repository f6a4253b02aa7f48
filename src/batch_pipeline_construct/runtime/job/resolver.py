"""Give a job container the job contract, whether it runs as a per-file job or an array child.

The protocol, so that one container image serves both modes:

* Per-file job: the arrival function sets the contract variables (``INPUT_BUCKET``,
  ``INPUT_KEY``, ``INPUT_URI``, ``OUTPUT_BUCKET``, ``OUTPUT_PREFIX``, ``OUTPUT_URI``, their legacy
  names and, when known, ``INPUT_VERSION_ID``; see :mod:`.contract`) in the job's environment.
  They are returned as they are.
* Array child (bulk mode): the job's environment has ``MANIFEST_URI`` (``s3://bucket/key`` of a
  manifest, see :mod:`.manifest`) and AWS Batch sets ``AWS_BATCH_JOB_ARRAY_INDEX``. Entry
  ``AWS_BATCH_JOB_ARRAY_INDEX`` of the manifest is read (the job role needs ``s3:GetObject`` on
  it) and turned into the same contract variables.

Use it as the container's entry point; it needs only the standard library and boto3::

    python -m batch_pipeline_construct.runtime.job.resolver -- my-program --flag
    python -m batch_pipeline_construct.runtime.job.resolver --print

The first form replaces itself (``execvp``) with ``my-program --flag``, with the contract added
to the environment; the second prints the contract as a JSON object.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .contract import CONTRACT_VARIABLES
from .manifest import contract_at, split_s3_uri

__all__ = [
    "ARRAY_INDEX",
    "MANIFEST_URI",
    "ContractUnavailable",
    "main",
    "resolve_contract",
]

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MANIFEST_URI = "MANIFEST_URI"
"""Environment variable with the manifest's ``s3://`` URI, in bulk mode."""
ARRAY_INDEX = "AWS_BATCH_JOB_ARRAY_INDEX"
"""Environment variable AWS Batch sets in every child of an array job."""

_USAGE = "usage: python -m batch_pipeline_construct.runtime.job.resolver (--print | -- CMD ARG...)"


class ContractUnavailable(Exception):
    """The environment is neither a per-file job's nor an array child's."""


def resolve_contract(
    environ: Mapping[str, str] | None = None, *, s3: S3Client | None = None
) -> dict[str, str]:
    """The job contract's environment variables for this job (see the module documentation)."""
    env = os.environ if environ is None else environ
    manifest_uri = env.get(MANIFEST_URI)
    if manifest_uri is None:
        if "INPUT_KEY" not in env or "INPUT_BUCKET" not in env:
            raise ContractUnavailable(
                f"neither the contract variables nor {MANIFEST_URI} are in the environment"
            )
        return {name: env[name] for name in CONTRACT_VARIABLES if name in env}
    index = env.get(ARRAY_INDEX)
    if index is None:
        raise ContractUnavailable(f"{MANIFEST_URI} is set but {ARRAY_INDEX} is not")
    bucket, key = split_s3_uri(manifest_uri)
    if s3 is None:
        from .. import clients

        s3 = clients.s3()
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return contract_at(body, int(index)).environment()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``--print`` or ``-- CMD ARG...`` (see the module documentation)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--print"]:
        print(json.dumps(resolve_contract(), ensure_ascii=False, sort_keys=True))
        return 0
    if len(args) < 2 or args[0] != "--":
        print(_USAGE, file=sys.stderr)
        return 2
    command = args[1:]
    os.execvpe(command[0], command, {**os.environ, **resolve_contract()})


if __name__ == "__main__":
    sys.exit(main())
