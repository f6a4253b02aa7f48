"""The large-files example's job: gzip a file of any size, larger than the job's disk included.

The job contract's ``INPUT_SIZE`` says how big the object is before the job touches it. A file
that fits comfortably in the scratch directory (at most half of its free space, leaving the rest
to the tool's own temporary files) is downloaded there first, as a tool that needs a file path
(one that seeks) requires; a larger one is streamed: the S3 object's body is read chunk by chunk,
hashed, counted and compressed, and the compressed bytes go straight into an S3 multipart upload.
Neither the file nor its archive is ever written whole to disk, or held whole in memory, so a
100 GiB file runs on Fargate's free 20 GiB disk with 2 GiB of memory. A file whose size the
contract does not give is streamed too: that works whatever the size.

It writes, under OUTPUT_URI, ``<file name>.gz`` and ``summary.json``: the original's size,
SHA-256 and line count, the archive's size, and how the file was read (``downloaded`` or
``streamed``) with the scratch directory's free space, so a run shows which path it took.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

CHUNK_BYTES = 1024 * 1024
"""How much of the file is read, hashed and compressed at a time."""
MIN_PART_BYTES = 8 * 1024 * 1024
"""Smallest multipart upload part (S3 needs at least 5 MiB for every part but the last)."""
MAX_PARTS = 10_000
"""S3's limit of parts per multipart upload."""
UPLOAD_THREADS = 2
"""Parts uploaded side by side. Memory holds at most 10 parts of the archive (s3transfer's limit
for a stream it cannot seek): 80 MiB up to a 70 GiB file, 10 / 9,000 of the file above that."""
_GZIP = 16 + zlib.MAX_WBITS
"""zlib's window bits for a gzip container (its header's time is 0: the same file, same bytes)."""


class Tally:
    """What the job learns of the original while it passes: size, SHA-256 and line count."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0
        self._sha256 = hashlib.sha256()
        self._last = b""

    def count(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield ``chunks`` unchanged, counting them on the way."""
        for chunk in chunks:
            self.bytes += len(chunk)
            self.lines += chunk.count(b"\n")
            self._sha256.update(chunk)
            self._last = chunk[-1:] or self._last
            yield chunk

    def summary(self) -> dict[str, Any]:
        """The counts, a last line without a newline included."""
        unterminated = 1 if self._last not in (b"", b"\n") else 0
        return {
            "bytes": self.bytes,
            "sha256": self._sha256.hexdigest(),
            "lines": self.lines + unterminated,
        }


class GzipStream(io.RawIOBase):
    """A read-only stream of the gzip compression of ``chunks``, compressed as it is read.

    Every ``read(n)`` returns ``n`` bytes until the end (the upload cuts parts of one size), and
    only about one chunk more than was asked for is held at a time.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._compressor = zlib.compressobj(wbits=_GZIP)
        self._pending = bytearray()
        self._finished = False
        self.bytes = 0
        """Compressed bytes handed out so far: the archive's size once it has been read."""

    def readable(self) -> bool:
        """Always: this stream is for reading."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next compressed bytes; 0 at the end."""
        view = memoryview(buffer).cast("B")
        while len(self._pending) < len(view) and not self._finished:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._pending += self._compressor.flush()
                self._finished = True
            else:
                self._pending += self._compressor.compress(chunk)
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        del self._pending[:size]
        self.bytes += size
        return size


def part_bytes(size: int | None) -> int:
    """The upload's part size for a file of ``size`` bytes, whole MiB.

    Its archive (a little larger than the file when the file does not compress) fits in 9,000
    parts, 1,000 to spare: s3transfer cannot choose for a stream, whose size it does not know.
    Without a size, the smallest part.
    """
    if size is None:
        return MIN_PART_BYTES
    mebibyte = 1024 * 1024
    needed = -(-size // (MAX_PARTS - 1_000))
    return max(MIN_PART_BYTES, -(-needed // mebibyte) * mebibyte)


def scratch_free_bytes(scratch: Path) -> int:
    """Free space of the file system holding ``scratch``."""
    return shutil.disk_usage(scratch).free


def fits_on_disk(size: int, free: int) -> bool:
    """Whether a file of ``size`` bytes is downloaded: at most half the free space."""
    return size <= free // 2


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def _downloaded_chunks(s3: Any, bucket: str, key: str, scratch: Path) -> Iterator[bytes]:
    """The object, read from a copy in ``scratch`` that is deleted once read."""
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        copy = Path(folder) / "input"
        s3.download_file(bucket, key, str(copy))
        yield from _file_chunks(copy)


def _streamed_chunks(s3: Any, bucket: str, key: str) -> Iterator[bytes]:
    """The object, read from its S3 body as it arrives."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        yield from body.iter_chunks(chunk_size=CHUNK_BYTES)
    finally:
        body.close()


def run(
    environ: Mapping[str, str], s3: Any, scratch: Path | None = None, free: int | None = None
) -> str:
    """Compress the contract's input object; returns the key of the summary it wrote.

    ``scratch`` is where a file that fits is downloaded (default: the temporary directory) and
    ``free`` its free space in bytes (default: measured).
    """
    scratch = scratch or Path(tempfile.gettempdir())
    bucket, key = environ["INPUT_BUCKET"], environ["INPUT_KEY"]
    free = scratch_free_bytes(scratch) if free is None else free
    # Without a size (the contract leaves it out when unknown) streaming is the safe choice.
    size = int(environ["INPUT_SIZE"]) if "INPUT_SIZE" in environ else None
    downloaded = size is not None and fits_on_disk(size, free)
    chunks = (
        _downloaded_chunks(s3, bucket, key, scratch)
        if downloaded
        else _streamed_chunks(s3, bucket, key)
    )
    tally = Tally()
    archive = GzipStream(tally.count(chunks))
    archive_key = environ["OUTPUT_PREFIX"] + posixpath.basename(key) + ".gz"
    s3.upload_fileobj(
        archive,
        environ["OUTPUT_BUCKET"],
        archive_key,
        ExtraArgs={"ContentType": "application/gzip"},
        Config=TransferConfig(
            multipart_threshold=MIN_PART_BYTES,
            multipart_chunksize=part_bytes(size),
            max_concurrency=UPLOAD_THREADS,
        ),
    )
    summary = {
        "input": {"uri": environ["INPUT_URI"], **tally.summary()},
        "archive": {
            "uri": f"s3://{environ['OUTPUT_BUCKET']}/{archive_key}",
            "bytes": archive.bytes,
            "encoding": "gzip",
        },
        "read": "downloaded" if downloaded else "streamed",
        "scratch_free_bytes": free,
    }
    summary_key = environ["OUTPUT_PREFIX"] + "summary.json"
    s3.put_object(
        Bucket=environ["OUTPUT_BUCKET"],
        Key=summary_key,
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    print(json.dumps({"event": "compressed", **summary}))
    return summary_key


if __name__ == "__main__":
    import boto3

    run(os.environ, boto3.client("s3"))
