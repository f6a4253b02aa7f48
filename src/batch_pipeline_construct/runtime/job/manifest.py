"""The bulk-mode manifest: the files of one array job, in array-index order.

A manifest is a JSON object in S3::

    {"version": 1, "count": 2, "outputBucket": "out",
     "files": [{"bucket": "in", "key": "a.csv", "versionId": null, "outputPrefix": "a.csv/"},
               ...]}

Child ``i`` of the array job (``AWS_BATCH_JOB_ARRAY_INDEX`` = ``i``) processes ``files[i]``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .contract import JobContract

__all__ = [
    "MANIFEST_VERSION",
    "contract_at",
    "manifest_body",
    "split_s3_uri",
]

MANIFEST_VERSION = 1
"""The format version written in every manifest."""


def manifest_body(contracts: Sequence[JobContract], output_bucket: str) -> bytes:
    """The manifest listing ``contracts`` in order."""
    document = {
        "version": MANIFEST_VERSION,
        "count": len(contracts),
        "outputBucket": output_bucket,
        "files": [
            {
                "bucket": contract.input_bucket,
                "key": contract.input_key,
                "versionId": contract.version_id,
                "outputPrefix": contract.output_prefix,
            }
            for contract in contracts
        ],
    }
    return json.dumps(document, ensure_ascii=False).encode()


def contract_at(body: bytes, index: int) -> JobContract:
    """The contract of entry ``index`` of the manifest ``body``."""
    document: Any = json.loads(body)
    if not isinstance(document, dict) or document.get("version") != MANIFEST_VERSION:
        raise ValueError(f"not a version {MANIFEST_VERSION} manifest")
    files = document["files"]
    if not 0 <= index < len(files):
        raise IndexError(f"array index {index} is outside the manifest's {len(files)} files")
    entry = files[index]
    return JobContract(
        input_bucket=entry["bucket"],
        input_key=entry["key"],
        output_bucket=document["outputBucket"],
        output_prefix=entry["outputPrefix"],
        version_id=entry.get("versionId"),
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``("bucket", "key")`` of ``s3://bucket/key``."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key
