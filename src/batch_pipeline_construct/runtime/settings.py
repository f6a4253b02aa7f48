"""The arrival function's configuration: the environment variables the construct sets on it.

The CDK side (``arrival.py``) writes these names and the handler reads them through
:meth:`ArrivalSettings.from_environ`, so the two can never disagree on a name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

JOB_QUEUE_ARN = "BPC_JOB_QUEUE_ARN"
JOB_DEFINITION_NAME = "BPC_JOB_DEFINITION_NAME"
INPUT_BUCKET = "BPC_INPUT_BUCKET"
OUTPUT_BUCKET = "BPC_OUTPUT_BUCKET"
OUTPUT_ROOT_PREFIX = "BPC_OUTPUT_ROOT_PREFIX"
JOB_NAME_PREFIX = "BPC_JOB_NAME_PREFIX"
IDEMPOTENCY_TABLE = "BPC_IDEMPOTENCY_TABLE"
IDEMPOTENCY_TTL_SECONDS = "BPC_IDEMPOTENCY_TTL_SECONDS"
DEAD_LETTER_QUEUE_URL = "BPC_DEAD_LETTER_QUEUE_URL"
ARRIVAL_QUEUE_URL = "BPC_ARRIVAL_QUEUE_URL"
SUBMIT_MAX_ATTEMPTS = "BPC_SUBMIT_MAX_ATTEMPTS"
BULK_MODE = "BPC_BULK_MODE"
BULK_MAX_FILES = "BPC_BULK_MAX_FILES"
MANIFEST_BUCKET = "BPC_MANIFEST_BUCKET"
MANIFEST_PREFIX = "BPC_MANIFEST_PREFIX"

# The deduplication table's schema: the construct creates it, runtime/idempotency.py uses it.
PARTITION_KEY = "pk"
"""The deduplication table's partition key (type string)."""
TTL_ATTRIBUTE = "expires_at"
"""The table's TTL attribute (epoch seconds)."""


@dataclass(frozen=True)
class ArrivalSettings:
    """Everything the arrival handler needs to know about its pipeline."""

    job_queue_arn: str
    job_definition_name: str
    input_bucket: str
    output_bucket: str
    output_root_prefix: str = ""
    job_name_prefix: str = "file"
    idempotency_table: str | None = None
    idempotency_ttl_seconds: int = 7 * 24 * 3600
    dead_letter_queue_url: str | None = None
    arrival_queue_url: str | None = None
    submit_max_attempts: int = 8
    bulk_mode: bool = False
    bulk_max_files: int = 10_000
    manifest_bucket: str | None = None
    manifest_prefix: str = "_manifests/"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ArrivalSettings:
        """Read the settings from ``environ`` (the process environment by default)."""
        env = os.environ if environ is None else environ
        return cls(
            job_queue_arn=env[JOB_QUEUE_ARN],
            job_definition_name=env[JOB_DEFINITION_NAME],
            input_bucket=env[INPUT_BUCKET],
            output_bucket=env[OUTPUT_BUCKET],
            output_root_prefix=env.get(OUTPUT_ROOT_PREFIX, ""),
            job_name_prefix=env.get(JOB_NAME_PREFIX, "file"),
            idempotency_table=env.get(IDEMPOTENCY_TABLE) or None,
            idempotency_ttl_seconds=int(env.get(IDEMPOTENCY_TTL_SECONDS, 7 * 24 * 3600)),
            dead_letter_queue_url=env.get(DEAD_LETTER_QUEUE_URL) or None,
            arrival_queue_url=env.get(ARRIVAL_QUEUE_URL) or None,
            submit_max_attempts=int(env.get(SUBMIT_MAX_ATTEMPTS, 8)),
            bulk_mode=env.get(BULK_MODE, "false").lower() == "true",
            bulk_max_files=int(env.get(BULK_MAX_FILES, 10_000)),
            manifest_bucket=env.get(MANIFEST_BUCKET) or None,
            manifest_prefix=env.get(MANIFEST_PREFIX, "_manifests/"),
        )
