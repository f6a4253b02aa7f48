"""The bulk-mode manifest: the files of one array job and how its children share them (public API).

A manifest is a JSON object in S3::

    {"version": 2, "count": 5, "children": 2, "parallelism": 1, "maxFileAttempts": 3,
     "outputBucket": "out",
     "files": [{"bucket": "in", "key": "a.csv", "versionId": null, "outputPrefix": "a.csv/",
                "size": 1024},
               ...]}

Child ``i`` of the array job (``AWS_BATCH_JOB_ARRAY_INDEX`` = ``i``, from 0 to ``children - 1``)
processes the entries ``start(i) .. start(i + 1) - 1``, where ``start(i) = i * count // children``
(so the children's shares differ by one file at most), running the command once per file, up to
``parallelism`` files side by side, each up to ``maxFileAttempts`` times (see :mod:`.exit_codes`).

An entry's ``size`` (the object's size in bytes, ``INPUT_SIZE`` in the file's contract) is
left out when unknown, and manifests written before it existed are read as they are.

Version 1 manifests (no ``children``: one file per child) are still read.

Each child records one outcome per file in a JSON object beside the manifest (see
:func:`outcomes_uri`): ``_manifests/ID.json`` has its outcomes under ``_manifests/ID/outcomes/``.

The arrival function plans a manifest with :func:`plan_manifest`; the job resolver reads it
with :func:`read_manifest`. This module needs only the standard library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .contract import JobContract

__all__ = [
    "DEFAULT_EXPECTED_SECONDS_PER_FILE",
    "DEFAULT_FILES_PER_CHILD",
    "DEFAULT_MAX_FILE_ATTEMPTS",
    "DEFAULT_MIN_CHILDREN",
    "MANIFEST_VERSION",
    "MAX_ARRAY_SIZE",
    "MIN_ARRAY_SIZE",
    "MIN_CHILD_SECONDS",
    "OUTCOMES_FOLDER",
    "TARGET_CHILD_SECONDS",
    "Manifest",
    "ManifestMalformed",
    "ManifestPlan",
    "PackingSettings",
    "files_per_child_for",
    "outcomes_folder",
    "outcomes_uri",
    "plan_manifest",
    "read_manifest",
    "split_s3_uri",
]

MANIFEST_VERSION = 2
"""The format version written in every manifest."""
MAX_ARRAY_SIZE = 10_000
"""The most children an AWS Batch array job can have (and so the most files in one bulk job)."""
MIN_ARRAY_SIZE = 2
"""The fewest children an AWS Batch array job can have."""
TARGET_CHILD_SECONDS = 300.0
"""How long a child works while a large backlog waits: the top of AWS Batch's advice of 3 to 5
minutes a job, so a burst pays the fewest image pulls per file."""
MIN_CHILD_SECONDS = 60.0
"""A spread child still works this long: Fargate bills a task for a minute at least, and a
shorter child only adds a launch."""
DEFAULT_EXPECTED_SECONDS_PER_FILE = 1.0
"""The processing time per file assumed when none is given."""
DEFAULT_FILES_PER_CHILD = 300
"""Files per child at the defaults: 5 minutes of one-second files, one at a time."""
DEFAULT_MIN_CHILDREN = 20
"""A batch is spread over at least this many children (when it has as many files), so a small
drop runs side by side as it would in per-file mode; Fargate starts 20 tasks a second."""
DEFAULT_MAX_FILE_ATTEMPTS = 3
"""Attempts per file inside the container before it is recorded as failed."""

OUTCOMES_FOLDER = "outcomes"
"""The folder, beside a manifest's own key without ``.json``, of its children's outcomes."""


class ManifestMalformed(ValueError):
    """The manifest cannot be read: not JSON, an unknown version, or an entry without its fields."""


def files_per_child_for(
    expected_seconds_per_file: float,
    parallelism: int = 1,
    target_child_seconds: float = TARGET_CHILD_SECONDS,
) -> int:
    """Files per child that keep a child working about ``target_child_seconds``."""
    if expected_seconds_per_file <= 0 or parallelism < 1:
        raise ValueError("expected_seconds_per_file must be positive and parallelism at least 1")
    return max(1, round(target_child_seconds * parallelism / expected_seconds_per_file))


@dataclass(frozen=True)
class PackingSettings:
    """How the files of one batch are shared among array children and processed in each."""

    files_per_child: int = DEFAULT_FILES_PER_CHILD
    """The most files a child processes: its share while a large backlog waits (see
    :func:`files_per_child_for`); fewer as the work runs out (see :meth:`children_for`)."""
    min_children: int = DEFAULT_MIN_CHILDREN
    """Children a batch is spread over at least (2 or more: never more children than files)."""
    parallelism: int = 1
    """Files a child processes side by side (the job's vCPUs, typically)."""
    max_file_attempts: int = DEFAULT_MAX_FILE_ATTEMPTS
    """Attempts per file inside the container."""
    capacity: int = DEFAULT_MIN_CHILDREN
    """Children the compute environment runs at once: a batch with nothing waiting behind it
    is spread over up to this many, so a small drop finishes as fast as in per-file mode."""

    def __post_init__(self) -> None:
        for name in ("files_per_child", "parallelism", "max_file_attempts", "capacity"):
            if getattr(self, name) < 1:
                raise ValueError(f"PackingSettings.{name} must be at least 1")
        if self.min_children < MIN_ARRAY_SIZE:
            raise ValueError("PackingSettings.min_children must be at least 2 (an array's minimum)")

    @property
    def wave(self) -> int:
        """Files the compute environment works through at once in the longest children:
        ``capacity`` children of ``files_per_child``."""
        return self.capacity * self.files_per_child

    def children_for(self, count: int, *, waiting: int = 0) -> int:
        """How many children ``count`` files are shared among (0 for no files).

        Sized from the work still to do: these files and the ``waiting`` files queued behind
        them (an approximate count; 0 when none). Batch starts children in the order they were
        submitted, so a child of size ``share`` is followed by about ``count + waiting`` more
        files; each child gets that remaining work's share of the compute environment,
        ``(count + waiting) / capacity`` files, kept between ``files_per_child`` and a child of
        ``MIN_CHILD_SECONDS`` (a fifth of ``files_per_child`` at the default 5 minutes):

        * more than one ``wave`` to do: the longest children, ``files_per_child`` (at the
          defaults ``TARGET_CHILD_SECONDS``, the top of AWS Batch's 3 to 5 minutes), the fewest
          image pulls per file;
        * less: children shrink with the work left, so the burst's last children are short and
          every slot of the compute environment runs out of work within about one short child
          of the others, instead of one full child;
        * nothing waiting and a small batch: spread over up to ``capacity`` children of no less
          than a minute, so a small drop finishes as fast as in per-file mode.

        Never fewer than ``min_children`` (which may make children shorter than a minute), nor
        more than the files or 10,000. A count that is wrong or stale only sizes children
        differently: every file is still in exactly one.
        """
        if count <= 0:
            return 0
        remaining = count + max(0, waiting)
        fewest_files = max(1, self.files_per_child * MIN_CHILD_SECONDS // TARGET_CHILD_SECONDS)
        # ceil(count / share) with share = remaining / capacity, in whole numbers
        children = -(-count * self.capacity // remaining)
        children = min(children, max(1, int(count // fewest_files)))
        children = max(children, math.ceil(count / self.files_per_child), self.min_children)
        return min(count, MAX_ARRAY_SIZE, children)


@dataclass(frozen=True)
class ManifestPlan:
    """A manifest to write and the array job to submit for it."""

    body: bytes
    """The manifest's JSON, to write to S3 (``ContentType: application/json``)."""
    array_size: int
    """Children of the array job to submit: 2 to 10,000 whenever the manifest has 2 files or more."""
    count: int
    """Files in the manifest."""

    def child_of(self, file_index: int) -> int:
        """The child that processes entry ``file_index``."""
        return _child_of(file_index, self.count, self.array_size)


def plan_manifest(
    contracts: Sequence[JobContract],
    output_bucket: str,
    packing: PackingSettings,
    *,
    waiting: int = 0,
) -> ManifestPlan:
    """The manifest for ``contracts`` (in order) and the number of children to submit.

    ``waiting``: about how many files are queued behind these (0: none), which sizes the
    children (see :meth:`PackingSettings.children_for`).
    """
    if not contracts:
        raise ValueError("a manifest needs at least one file")
    children = packing.children_for(len(contracts), waiting=waiting)
    document = {
        "version": MANIFEST_VERSION,
        "count": len(contracts),
        "children": children,
        "parallelism": packing.parallelism,
        "maxFileAttempts": packing.max_file_attempts,
        "outputBucket": output_bucket,
        "files": [_entry(contract) for contract in contracts],
    }
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return ManifestPlan(body=body, array_size=children, count=len(contracts))


@dataclass(frozen=True)
class Manifest:
    """A manifest as the job resolver reads it."""

    contracts: tuple[JobContract, ...]
    """Every file's contract, in entry order."""
    children: int
    """How many children share the files."""
    parallelism: int
    """Files a child processes side by side."""
    max_file_attempts: int
    """Attempts per file inside the container."""

    def share(self, child: int) -> range:
        """The entries child ``child`` processes; IndexError when there is no such child."""
        if not 0 <= child < self.children:
            raise IndexError(
                f"array index {child} names no child: the manifest has children 0 to "
                f"{self.children - 1}"
            )
        count = len(self.contracts)
        return range(child * count // self.children, (child + 1) * count // self.children)


def read_manifest(body: bytes) -> Manifest:
    """Parse a manifest (version 1 or 2); :class:`ManifestMalformed` says what is wrong."""
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestMalformed(f"not JSON ({error})") from None
    if not isinstance(document, dict):
        raise ManifestMalformed("not a JSON object")
    version = document.get("version")
    if version not in (1, MANIFEST_VERSION):
        raise ManifestMalformed(f"version {version!r}; this resolver reads 1 and 2")
    files = document.get("files")
    output_bucket = document.get("outputBucket")
    if not isinstance(files, list) or not files or not isinstance(output_bucket, str):
        raise ManifestMalformed("'files' (a non-empty list) or 'outputBucket' is missing")
    contracts = tuple(_contract(entry, n, output_bucket) for n, entry in enumerate(files))
    if version == 1:
        return Manifest(contracts, children=len(contracts), parallelism=1, max_file_attempts=1)
    children = _whole(document, "children", maximum=len(contracts))
    return Manifest(
        contracts,
        children=children,
        parallelism=_whole(document, "parallelism"),
        max_file_attempts=_whole(document, "maxFileAttempts"),
    )


def outcomes_uri(manifest_uri: str, child: int) -> str:
    """Where child ``child`` of the manifest at ``manifest_uri`` records its files' outcomes.

    ``s3://b/_manifests/ID.json`` -> ``s3://b/_manifests/ID/outcomes/<child>.json``.
    """
    base = manifest_uri.removesuffix(".json")
    return f"{base}/{OUTCOMES_FOLDER}/{child}.json"


def outcomes_folder(manifest_uri: str) -> str:
    """``s3://`` prefix of every outcome object of the array job with ``manifest_uri``."""
    return outcomes_uri(manifest_uri, 0).rpartition("/")[0] + "/"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``("bucket", "key")`` of ``s3://bucket/key``."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return bucket, key


def _child_of(file_index: int, count: int, children: int) -> int:
    # The largest i with i * count // children <= file_index.
    return ((file_index + 1) * children - 1) // count


def _entry(contract: JobContract) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "bucket": contract.input_bucket,
        "key": contract.input_key,
        "versionId": contract.version_id,
        "outputPrefix": contract.output_prefix,
    }
    if contract.input_size is not None:
        entry["size"] = contract.input_size
    return entry


def _contract(entry: Any, n: int, output_bucket: str) -> JobContract:
    fields = ("bucket", "key", "outputPrefix")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in fields):
        raise ManifestMalformed(f"entry {n} lacks one of {', '.join(fields)}")
    version_id = entry.get("versionId")
    if version_id is not None and not isinstance(version_id, str):
        raise ManifestMalformed(f"entry {n}: versionId is not a string")
    size = entry.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ManifestMalformed(f"entry {n}: size is {size!r}, not a whole number of bytes")
    return JobContract(
        input_bucket=entry["bucket"],
        input_key=entry["key"],
        output_bucket=output_bucket,
        output_prefix=entry["outputPrefix"],
        version_id=version_id,
        input_size=size,
    )


def _whole(document: dict[str, Any], name: str, maximum: int | None = None) -> int:
    value = document.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ManifestMalformed(f"{name!r} is {value!r}, not a whole number of at least 1")
    if maximum is not None and value > maximum:
        raise ManifestMalformed(f"{name!r} is {value}, more than the {maximum} files")
    return value
