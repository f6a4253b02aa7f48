"""The job contract: what a job learns about the file it is for (public API).

Every job gets these environment variables, so its container needs no AWS knowledge beyond
reading and writing S3:

``INPUT_BUCKET``, ``INPUT_KEY``
    the object that arrived; the key decoded, as the user wrote it.
``INPUT_URI``
    ``s3://INPUT_BUCKET/INPUT_KEY``.
``INPUT_VERSION_ID``
    the object version, only when the input bucket is versioned.
``INPUT_SIZE``
    the object's size in bytes, as a decimal string (from the S3 event notification), so a job
    can choose to stream a file that would not fit on its disk; left out when unknown.
``OUTPUT_BUCKET``, ``OUTPUT_PREFIX``
    where results go; the prefix is the output root prefix, the input key and ``/``, or, when
    that would be longer than :data:`MAX_OUTPUT_PREFIX_BYTES`, the root prefix, the key's
    beginning, ``~``, 16 hex digits of the key's SHA-256 and ``/`` (see :func:`output_prefix`):
    always a valid S3 prefix with room for file names under it, and always telling which
    file it is for.
``OUTPUT_URI``
    ``s3://OUTPUT_BUCKET/OUTPUT_PREFIX``.
``S3_INPUT_BUCKET``, ``S3_INPUT_OBJECT``, ``S3_OUTPUT_BUCKET``
    the legacy names of ``INPUT_BUCKET``, ``INPUT_KEY`` and ``OUTPUT_BUCKET``.
``SHARED_DATA_DIR``
    where the shared data file system (the pipeline's ``shared_data``) is mounted inside the
    container; set only when shared data is configured.

The same facts are attached to the job as Batch ``parameters`` (``inputBucket``, ``inputKey``,
``inputUri``, ``outputUri``, ``versionId`` and ``inputSize``), so ``DescribeJobs`` and the job
state change events tell which file a job was for.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "ARRAY_INDEX",
    "MANIFEST_URI",
    "CONTRACT_VARIABLES",
    "INPUT_SIZE",
    "INPUT_SIZE_PARAMETER",
    "INPUT_URI_PARAMETER",
    "MANIFEST_URI_PARAMETER",
    "OUTPUT_URI_PARAMETER",
    "JOB_NAME_PATTERN",
    "MAX_OUTPUT_PREFIX_BYTES",
    "MAX_OUTPUT_ROOT_PREFIX_BYTES",
    "SHARED_DATA_DIR",
    "JobContract",
    "job_name",
    "output_prefix",
]

JOB_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
"""What AWS Batch accepts as a job name."""

SHARED_DATA_DIR = "SHARED_DATA_DIR"
"""Environment variable of every job when shared data is configured: where it is mounted."""

CONTRACT_VARIABLES = (
    "INPUT_BUCKET",
    "INPUT_KEY",
    "INPUT_URI",
    "INPUT_VERSION_ID",
    "INPUT_SIZE",
    "OUTPUT_BUCKET",
    "OUTPUT_PREFIX",
    "OUTPUT_URI",
    "S3_INPUT_BUCKET",
    "S3_INPUT_OBJECT",
    "S3_OUTPUT_BUCKET",
    SHARED_DATA_DIR,
)
"""Every environment variable name the contract can set."""

INPUT_SIZE = "INPUT_SIZE"
"""Environment variable of the contract: the input object's size in bytes (a decimal string)."""
INPUT_SIZE_PARAMETER = "inputSize"
"""Batch job parameter of a per-file job: the input object's size in bytes."""
INPUT_URI_PARAMETER = "inputUri"
"""Batch job parameter of a per-file job: the input object's ``s3://`` URI."""
OUTPUT_URI_PARAMETER = "outputUri"
"""Batch job parameter of a per-file job: the output prefix's ``s3://`` URI."""
MANIFEST_URI = "MANIFEST_URI"
"""Environment variable of a bulk-mode array job: the manifest's ``s3://`` URI."""
ARRAY_INDEX = "AWS_BATCH_JOB_ARRAY_INDEX"
"""Environment variable AWS Batch sets in every child of an array job."""
MANIFEST_URI_PARAMETER = "manifestUri"
"""Batch job parameter of a bulk-mode array job: the manifest's ``s3://`` URI."""

_MAX_JOB_NAME = 128
_HASH_LENGTH = 10
_MAX_PREFIX = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


MAX_S3_KEY_BYTES = 1024
"""The longest S3 object key, in UTF-8 bytes."""
MAX_OUTPUT_PREFIX_BYTES = 768
"""The longest ``OUTPUT_PREFIX``, in UTF-8 bytes: a job has at least 256 bytes for the names of
the files it writes under it."""
MAX_OUTPUT_ROOT_PREFIX_BYTES = 256
"""The longest output root prefix (the construct's ``output_prefix``), in UTF-8 bytes."""
_PREFIX_DIGEST = 16


def output_prefix(input_key: str, output_root_prefix: str = "") -> str:
    """Where the results for ``input_key`` go in the output bucket (at most
    :data:`MAX_OUTPUT_PREFIX_BYTES`, for a root prefix of at most
    :data:`MAX_OUTPUT_ROOT_PREFIX_BYTES`).

    ``output_root_prefix + input_key + "/"`` when it fits; otherwise the root prefix, as much
    of the key's beginning as fits (cut between characters), ``~``, 16 hex digits of the key's
    SHA-256 and ``/``, so two keys never share a prefix and the prefix still shows the file.
    """
    whole = f"{output_root_prefix}{input_key}/"
    if len(whole.encode()) <= MAX_OUTPUT_PREFIX_BYTES:
        return whole
    digest = hashlib.sha256(input_key.encode()).hexdigest()[:_PREFIX_DIGEST]
    room = MAX_OUTPUT_PREFIX_BYTES - len(output_root_prefix.encode()) - _PREFIX_DIGEST - 2
    head = input_key.encode()[: max(room, 0)].decode(errors="ignore")
    return f"{output_root_prefix}{head}~{digest}/"


@dataclass(frozen=True)
class JobContract:
    """The contract of one job: which object it reads and where it writes."""

    input_bucket: str
    """The input object's bucket."""
    input_key: str
    """The input object's key, decoded."""
    output_bucket: str
    """The bucket results go to."""
    output_prefix: str
    """The key prefix results go under (ends with ``/``)."""
    version_id: str | None = None
    """The input object's version, when known."""
    input_size: int | None = None
    """The input object's size in bytes, when known."""

    @property
    def input_uri(self) -> str:
        """``s3://`` URI of the input object."""
        return f"s3://{self.input_bucket}/{self.input_key}"

    @property
    def output_uri(self) -> str:
        """``s3://`` URI of the output prefix."""
        return f"s3://{self.output_bucket}/{self.output_prefix}"

    def environment(self) -> dict[str, str]:
        """The contract's environment variables (see the module documentation)."""
        env = {
            "INPUT_BUCKET": self.input_bucket,
            "INPUT_KEY": self.input_key,
            "INPUT_URI": self.input_uri,
            "OUTPUT_BUCKET": self.output_bucket,
            "OUTPUT_PREFIX": self.output_prefix,
            "OUTPUT_URI": self.output_uri,
            "S3_INPUT_BUCKET": self.input_bucket,
            "S3_INPUT_OBJECT": self.input_key,
            "S3_OUTPUT_BUCKET": self.output_bucket,
        }
        if self.version_id is not None:
            env["INPUT_VERSION_ID"] = self.version_id
        if self.input_size is not None:
            env[INPUT_SIZE] = str(self.input_size)
        return env

    def parameters(self) -> dict[str, str]:
        """The Batch job parameters that record which file the job is for."""
        params = {
            "inputBucket": self.input_bucket,
            "inputKey": self.input_key,
            INPUT_URI_PARAMETER: self.input_uri,
            OUTPUT_URI_PARAMETER: self.output_uri,
        }
        if self.version_id is not None:
            params["versionId"] = self.version_id
        if self.input_size is not None:
            params[INPUT_SIZE_PARAMETER] = str(self.input_size)
        return params

    def job_name(self, prefix: str) -> str:
        """A readable, deterministic Batch job name for this object (see :func:`job_name`)."""
        return job_name(prefix, self.input_key, self.input_bucket, self.version_id)


def job_name(prefix: str, readable: str, *identity: str | None) -> str:
    """A valid Batch job name: ``prefix``, the tail of ``readable``, and a hash of ``identity``.

    Characters Batch does not allow become ``-``. The tail of ``readable`` is kept (for a key,
    the file name) and the hash of ``readable`` and ``identity`` keeps two names apart whose
    readable parts sanitize alike. The same arguments always give the same name.
    """
    digest = hashlib.sha256(
        "\0".join([readable, *(part or "" for part in identity)]).encode()
    ).hexdigest()[:_HASH_LENGTH]
    head = _sanitize(prefix)[:_MAX_PREFIX].strip("-_")
    room = _MAX_JOB_NAME - len(head) - _HASH_LENGTH - 2
    tail = _sanitize(readable)[-room:].strip("-_")
    return "-".join(part for part in (head, tail, digest) if part)


def _sanitize(text: str) -> str:
    return _UNSAFE.sub("-", text)
