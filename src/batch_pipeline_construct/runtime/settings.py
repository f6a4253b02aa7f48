"""The settings contract between the construct and the arrival function, defined once.

The construct (``_stages/arrival.py``) builds an :class:`ArrivalSettings` from the props and
writes :meth:`ArrivalSettings.to_environ` as the function's environment; the handler reads it back
with :meth:`ArrivalSettings.from_environ`. Each field's environment variable and default are
declared on the field, so the two sides cannot disagree on a name, a default or a conversion.

Limits and names both sides share are the module constants below (job-contract names, such as
the Batch parameter names, live in ``runtime/job/contract.py``). To add a setting: one constant
for its variable name, one field with ``setting(NAME, default)``; the construct passes the value.
Another function's settings (the record function's, say) subclass :class:`EnvironSettings` the
same way and import the names they share from here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from .job.manifest import (
    DEFAULT_FILES_PER_CHILD,
    DEFAULT_MAX_FILE_ATTEMPTS,
    DEFAULT_MIN_CHILDREN,
    PackingSettings,
)
from .job.manifest import (
    MAX_ARRAY_SIZE as MAX_ARRAY_SIZE,
)
from .job.manifest import (
    MIN_ARRAY_SIZE as MIN_ARRAY_SIZE,
)
from .sizing import SizeClass

# --- limits and defaults shared by the construct and the runtime ---------------------------------

# MAX_ARRAY_SIZE and MIN_ARRAY_SIZE (the most and fewest children of an array job) are defined
# in job/manifest.py, which the job container uses without this module; imported above.
DEFAULT_MANIFEST_PREFIX = "_manifests/"
"""Where bulk-mode manifests go in the output bucket, unless ``BulkOptions.manifest_prefix`` says."""
ARRIVAL_HANDLER = "runtime.arrival.handler.handler"
"""The arrival function's handler: the Lambda asset is the ``runtime`` folder as a top-level package."""
DEFAULT_RECORD_RETENTION_SECONDS = 90 * 24 * 3600
"""How long a file's record (and so its deduplication) is kept after its last write: 90 days.
One retention for the table: the arrival function's claim and the record function's updates
both set the item's TTL to this far ahead (``RecordOptions.retention``)."""
JOB_NAME_PREFIX = "file"
"""The first word of every job name the arrival function submits."""
SUBMIT_MAX_ATTEMPTS = 8
"""SubmitJob calls per file before the file is retried through the queue (throttling, 5xx)."""

# --- the file records table's schema: the construct creates it, the runtime reads and writes it ---

PARTITION_KEY = "pk"
"""The file records table's partition key (type string): one item per object version."""
TTL_ATTRIBUTE = "expires_at"
"""The file records table's TTL attribute (epoch seconds)."""

# --- environment variable names of the arrival function --------------------------------------------

JOB_QUEUE_ARN = "BPC_JOB_QUEUE_ARN"
JOB_DEFINITION_NAME = "BPC_JOB_DEFINITION_NAME"
INPUT_BUCKET = "BPC_INPUT_BUCKET"
OUTPUT_BUCKET = "BPC_OUTPUT_BUCKET"
OUTPUT_ROOT_PREFIX = "BPC_OUTPUT_ROOT_PREFIX"
FILE_RECORDS_TABLE = "BPC_FILE_RECORDS_TABLE"
RECORD_RETENTION_SECONDS = "BPC_RECORD_RETENTION_SECONDS"
DEAD_LETTER_QUEUE_URL = "BPC_DEAD_LETTER_QUEUE_URL"
ARRIVAL_QUEUE_URL = "BPC_ARRIVAL_QUEUE_URL"
BULK_MODE = "BPC_BULK_MODE"
BULK_MAX_FILES = "BPC_BULK_MAX_FILES"
MANIFEST_PREFIX = "BPC_MANIFEST_PREFIX"
FILES_PER_CHILD = "BPC_FILES_PER_CHILD"
MIN_CHILDREN = "BPC_MIN_CHILDREN"
FILE_PARALLELISM = "BPC_FILE_PARALLELISM"
MAX_FILE_ATTEMPTS = "BPC_MAX_FILE_ATTEMPTS"
CHILD_CAPACITY = "BPC_CHILD_CAPACITY"
TRIGGER_PREFIX = "BPC_TRIGGER_PREFIX"
TRIGGER_SUFFIXES = "BPC_TRIGGER_SUFFIXES"
JOB_SIZES = "BPC_JOB_SIZES"

_ENVIRON = "environ"
_REQUIRED: Any = dataclasses.MISSING


def setting(name: str, default: Any = _REQUIRED) -> Any:
    """A field of an :class:`EnvironSettings` carried in the environment variable ``name``."""
    return dataclasses.field(default=default, metadata={_ENVIRON: name})


class EnvironSettings:
    """Base of a frozen settings dataclass whose fields are declared with :func:`setting`.

    Fields of type ``str``, ``str | None``, ``int``, ``bool`` and tuples (of strings or of
    dataclasses, as JSON) are written by :meth:`to_environ` (a value equal to its default, or
    None, is left out) and read back by :meth:`from_environ`, so a setting's name, default and
    conversion are written once.
    """

    def to_environ(self) -> dict[str, str]:
        """The environment variables that carry these settings (defaults and None left out)."""
        environ: dict[str, str] = {}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if value is None or (field.default is not _REQUIRED and _same(value, field.default)):
                continue
            environ[field.metadata[_ENVIRON]] = _encode(value)
        return environ

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read the settings from ``environ`` (the process environment by default)."""
        env = os.environ if environ is None else environ
        types = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            name = field.metadata[_ENVIRON]
            if field.default is _REQUIRED:
                values[field.name] = env[name]
            elif env.get(name):
                values[field.name] = _decode(env[name], types[field.name])
        return cls(**values)


@dataclass(frozen=True)
class ArrivalSettings(EnvironSettings):
    """Everything the arrival function knows about its pipeline: the construct builds it, the
    function reads it."""

    job_queue_arn: str = setting(JOB_QUEUE_ARN)
    """The job queue jobs are submitted to."""
    job_definition_name: str = setting(JOB_DEFINITION_NAME)
    """The job definition, by name: jobs run its latest active revision."""
    input_bucket: str = setting(INPUT_BUCKET)
    """The bucket whose notifications arrive."""
    output_bucket: str = setting(OUTPUT_BUCKET)
    """Where jobs write results (and bulk mode its manifests)."""
    output_root_prefix: str = setting(OUTPUT_ROOT_PREFIX, "")
    """The prefix in front of every job's output prefix."""
    file_records_table: str | None = setting(FILE_RECORDS_TABLE, None)
    """The per-file record table (also what deduplicates deliveries); None when off."""
    record_retention_seconds: int = setting(
        RECORD_RETENTION_SECONDS, DEFAULT_RECORD_RETENTION_SECONDS
    )
    """How long a file's record is kept after its last write (the item's TTL)."""
    dead_letter_queue_url: str | None = setting(DEAD_LETTER_QUEUE_URL, None)
    """Where malformed messages are sent."""
    arrival_queue_url: str | None = setting(ARRIVAL_QUEUE_URL, None)
    """The queue the function reads (bulk mode tops its batch up from it)."""
    bulk_mode: bool = setting(BULK_MODE, False)
    """Submit one array job per batch of files instead of one job per file."""
    bulk_max_files: int = setting(BULK_MAX_FILES, MAX_ARRAY_SIZE)
    """Bulk mode: the most files in one array job."""
    manifest_prefix: str = setting(MANIFEST_PREFIX, DEFAULT_MANIFEST_PREFIX)
    """Bulk mode: where manifests go in the output bucket."""
    files_per_child: int = setting(FILES_PER_CHILD, DEFAULT_FILES_PER_CHILD)
    """Bulk mode: files an array child processes when the batch is large."""
    min_children: int = setting(MIN_CHILDREN, DEFAULT_MIN_CHILDREN)
    """Bulk mode: children a batch is spread over at least."""
    file_parallelism: int = setting(FILE_PARALLELISM, 1)
    """Bulk mode: files a child processes side by side."""
    max_file_attempts: int = setting(MAX_FILE_ATTEMPTS, DEFAULT_MAX_FILE_ATTEMPTS)
    """Bulk mode: attempts per file inside the container."""
    child_capacity: int = setting(CHILD_CAPACITY, DEFAULT_MIN_CHILDREN)
    """Bulk mode: children the compute environment runs at once."""
    trigger_prefix: str = setting(TRIGGER_PREFIX, "")
    """The input bucket notification's key prefix ('' for any key)."""
    trigger_suffixes: tuple[str, ...] = setting(TRIGGER_SUFFIXES, ())
    """The notifications' key suffixes, one matching is enough (none for any ending)."""
    job_sizes: tuple[SizeClass, ...] = setting(JOB_SIZES, ())
    """The sizing classes, ascending (see ``runtime.sizing``); none: every job has the job
    definition's resources."""

    def triggers(self, key: str) -> bool:
        """Whether a new object ``key`` starts a job: the bucket notification's own filters."""
        return key.startswith(self.trigger_prefix) and (
            not self.trigger_suffixes or key.endswith(self.trigger_suffixes)
        )

    @property
    def packing(self) -> PackingSettings:
        """How bulk mode shares a manifest's files among array children (see ``job.manifest``)."""
        return PackingSettings(
            files_per_child=self.files_per_child,
            min_children=self.min_children,
            parallelism=self.file_parallelism,
            max_file_attempts=self.max_file_attempts,
            capacity=self.child_capacity,
        )


def _same(value: Any, default: Any) -> bool:
    # A CDK token (an unresolved string) is never taken for a default.
    return type(value) is type(default) and bool(value == default)


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return json.dumps(
            [
                dataclasses.asdict(item)
                if dataclasses.is_dataclass(item) and not isinstance(item, type)
                else item
                for item in value
            ]
        )
    return str(value)


def _decode(text: str, kind: object) -> object:
    if kind is bool:
        return text.lower() == "true"
    if kind is int:
        return int(text)
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        if isinstance(item, type) and dataclasses.is_dataclass(item):
            return tuple(item(**fields) for fields in json.loads(text))
        return tuple(json.loads(text))
    return text
