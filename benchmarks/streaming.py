"""Streaming benchmark: the large-files example's job keeps its memory flat whatever the file's size.

For each input size, an object of incompressible bytes (the worst case: its archive is as large as
the file, so the multipart upload has the most parts) is put in moto's server, and the example's
job (``examples/large_files/container/compress.py``, real boto3 in a process of its own) streams
it into its archive, as it does for a file larger than its disk. Reported per size: the job's peak
resident memory, that peak as a share of the file, the archive's upload parts, and whether the
archive's SHA-256 matches the file's. The contract's ``INPUT_SIZE`` is left out, which makes the
job stream whatever the size; with it, it would choose the same 8 MiB parts up to 70 GiB.

Not measured: throughput (moto's server, on the same machine, is the bottleneck) and the disk
(the Docker test ``tests/runtime/local/test_local_run_streams_a_file_larger_than_the_jobs_disk.py``
proves a 64 MiB file goes through an 8 MiB disk).

Run alone: ``python -m benchmarks.streaming [--mib 64,512]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from batch_pipeline_construct.runtime.job.contract import INPUT_SIZE, JobContract, output_prefix
from batch_pipeline_construct.runtime.local.emulator import Emulator

from ._util import ROOT, heading, table

JOB = ROOT / "examples" / "large_files" / "container" / "compress.py"
MEBIBYTE = 1024 * 1024
_PEAK_MEMORY = (
    "import resource, runpy, sys\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)
"""Runs the job as its container would, then prints its peak resident memory (KiB, Linux)."""


@dataclass(frozen=True)
class Result:
    """One input size, streamed."""

    mib: int
    peak_mib: float
    parts: int
    intact: bool

    @property
    def peak_share(self) -> float:
        """Peak resident memory as a share of the file's size."""
        return self.peak_mib / self.mib


def _incompressible(mib: int, digest: Any) -> Iterator[bytes]:
    for n in range(mib):
        chunk = random.Random(n).randbytes(MEBIBYTE)
        digest.update(chunk)
        yield chunk


def _put(s3: Any, bucket: str, key: str, mib: int) -> str:
    """Put ``mib`` MiB of random bytes in 8 MiB parts; returns their SHA-256."""
    digest = hashlib.sha256()
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    chunks = _incompressible(mib, digest)
    parts = []
    for number in range(1, -(-mib // 8) + 1):
        body = b"".join(next(chunks, b"") for _ in range(8))
        etag = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=body
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    return digest.hexdigest()


def _unpacked_digest(s3: Any, bucket: str, key: str) -> str:
    """SHA-256 of what the gzip archive at ``key`` holds, unpacked as it is read."""
    digest = hashlib.sha256()
    unpack = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    for chunk in body.iter_chunks(MEBIBYTE):
        digest.update(unpack.decompress(chunk))
    digest.update(unpack.flush())
    return digest.hexdigest()


def run_size(mib: int) -> Result:
    """Stream one object of ``mib`` MiB through the example's job."""
    with Emulator() as emulator:
        s3 = emulator.client("s3")
        for bucket in ("streaming-input", "streaming-output"):
            s3.create_bucket(Bucket=bucket)
        key = f"random-{mib}.bin"
        original = _put(s3, "streaming-input", key, mib)
        contract = JobContract("streaming-input", key, "streaming-output", output_prefix(key))
        environment = {**emulator.environment, **contract.environment()}
        environment.pop(INPUT_SIZE, None)
        done = subprocess.run(
            [sys.executable, "-c", _PEAK_MEMORY, str(JOB)],
            env={**environment, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        peak_kib = int(done.stderr.strip().splitlines()[-1])
        archive_key = f"{key}/{key}.gz"
        parts = s3.head_object(Bucket="streaming-output", Key=archive_key)["ETag"]
        intact = _unpacked_digest(s3, "streaming-output", archive_key) == original
    return Result(
        mib=mib,
        peak_mib=peak_kib / 1024,
        parts=int(parts.strip('"').rpartition("-")[2] or 1),
        intact=intact,
    )


def report(results: Sequence[Result]) -> str:
    """The results as a table."""
    return "\n".join(
        [
            heading("Streaming a file larger than the disk (examples/large_files)"),
            table(
                ["file MiB", "job's peak memory MiB", "peak / file", "upload parts", "intact"],
                [
                    (r.mib, round(r.peak_mib, 1), round(r.peak_share, 3), r.parts, r.intact)
                    for r in results
                ],
            ),
        ]
    )


def main(argv: Sequence[str]) -> None:
    """``python -m benchmarks.streaming``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.streaming", description=__doc__)
    parser.add_argument("--mib", default="64,512", help="input sizes in MiB (default 64,512)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = [run_size(int(mib)) for mib in args.mib.split(",")]
    print(report(results), flush=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump([{**r.__dict__, "peak_share": r.peak_share} for r in results], out)


if __name__ == "__main__":
    main(sys.argv[1:])
