"""The existing-resources example's job: archive the file that arrived, with a receipt.

The object at INPUT_URI is streamed through SHA-256 and gzip into a temporary file (memory stays
flat whatever the size), uploaded as ``<file name>.gz`` under OUTPUT_URI, and a ``receipt.json``
beside it records the original's size, SHA-256 and version, the archive's size and its key, so
an auditor can check an archive against the original without the original.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import posixpath
import tempfile
from collections.abc import Mapping
from typing import Any

_CHUNK = 1024 * 1024


def run(environ: Mapping[str, str], s3: Any) -> str:
    """Archive the contract's input object; returns the key of the receipt it wrote."""
    key = environ["INPUT_KEY"]
    source = s3.get_object(Bucket=environ["INPUT_BUCKET"], Key=key)["Body"]
    digest = hashlib.sha256()
    original_bytes = 0
    archive_key = environ["OUTPUT_PREFIX"] + posixpath.basename(key) + ".gz"
    with tempfile.TemporaryFile() as archive:
        # mtime=0 keeps the archive byte-identical when the same file is archived twice.
        with gzip.GzipFile(fileobj=archive, mode="wb", mtime=0) as compressed:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                original_bytes += len(chunk)
                compressed.write(chunk)
        archive_bytes = archive.tell()
        archive.seek(0)
        s3.upload_fileobj(
            archive,
            environ["OUTPUT_BUCKET"],
            archive_key,
            ExtraArgs={"ContentType": "application/gzip"},
        )
    receipt = {
        "original": {
            "uri": environ["INPUT_URI"],
            "version_id": environ.get("INPUT_VERSION_ID"),
            "bytes": original_bytes,
            "sha256": digest.hexdigest(),
        },
        "archive": {
            "uri": f"s3://{environ['OUTPUT_BUCKET']}/{archive_key}",
            "bytes": archive_bytes,
            "encoding": "gzip",
        },
    }
    receipt_key = environ["OUTPUT_PREFIX"] + "receipt.json"
    s3.put_object(
        Bucket=environ["OUTPUT_BUCKET"],
        Key=receipt_key,
        Body=json.dumps(receipt, indent=2).encode(),
        ContentType="application/json",
    )
    print(json.dumps({"event": "archived", **receipt}))
    return receipt_key


if __name__ == "__main__":
    import boto3

    run(os.environ, boto3.client("s3"))
