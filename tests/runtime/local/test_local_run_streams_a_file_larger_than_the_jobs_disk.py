"""``batch-pipeline local --disk-mib 8`` runs the large-files example on an 8 MiB disk.

Each job container gets a read-only root file system and 8 MiB of writable ``/tmp``; the
example's job must still compress a 64 MiB file, by streaming it from S3 into a multipart upload,
while a 1 MiB file takes the download path. The app is synthesized by the CDK CLI, its image built
by Docker, the arrival function's own code submits the jobs (with ``INPUT_SIZE``), and the
containers read and write through moto's server. Docker is needed: ``./scripts/test`` starts the
engine (scripts/docker-engine).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

import pytest

from tests.examples.example_apps import EXAMPLES_DIR
from tests.runtime.local.conftest import Ran, run_local, write_files

pytestmark = pytest.mark.docker

DISK_MIB = 8
BIG = "runs/big.fastq"
SMALL = "runs/small.fastq"


def _reads(size: int) -> bytes:
    """FASTQ-like text of about ``size`` bytes (it compresses, so the test's upload stays quick)."""
    record = b"@read%09d\nACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGTTGCA\n+\nIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII\n"
    return b"".join(record % n for n in range(size // len(record % 0) + 1))[:size]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {BIG: _reads(64 * 1024 * 1024), SMALL: _reads(1024 * 1024)}


@pytest.fixture(scope="module")
def small_disk_run(files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Ran:
    inputs = write_files(tmp_path_factory.mktemp("large-inputs"), files)
    return run_local(
        EXAMPLES_DIR / "large_files",
        inputs,
        "--disk-mib",
        str(DISK_MIB),
        cwd=tmp_path_factory.mktemp("large-files"),
    )


def _summary(ran: Ran, key: str) -> Any:
    return json.loads((ran.out / key / "summary.json").read_bytes())


def test_both_files_succeed_on_an_8_mib_disk(small_disk_run: Ran) -> None:
    assert small_disk_run.returncode == 0, small_disk_run.stdout + small_disk_run.stderr
    assert "2 succeeded, 0 failed" in small_disk_run.stdout


@pytest.mark.parametrize("key", [BIG, SMALL])
def test_each_job_saw_no_more_than_the_disk_it_was_given(small_disk_run: Ran, key: str) -> None:
    assert 0 < _summary(small_disk_run, key)["scratch_free_bytes"] <= DISK_MIB * 1024 * 1024


def test_the_64_mib_file_is_streamed_and_its_archive_holds_it_exactly(
    small_disk_run: Ran, files: dict[str, bytes]
) -> None:
    summary = _summary(small_disk_run, BIG)
    assert summary["read"] == "streamed"
    body = files[BIG]
    assert summary["input"]["bytes"] == len(body) > summary["scratch_free_bytes"]
    assert summary["input"]["sha256"] == hashlib.sha256(body).hexdigest()
    archive = (small_disk_run.out / BIG / "big.fastq.gz").read_bytes()
    assert summary["archive"]["bytes"] == len(archive)
    assert hashlib.sha256(gzip.decompress(archive)).digest() == hashlib.sha256(body).digest()


def test_the_file_that_fits_half_the_disk_is_downloaded_first(
    small_disk_run: Ran, files: dict[str, bytes]
) -> None:
    summary = _summary(small_disk_run, SMALL)
    assert summary["read"] == "downloaded"
    assert summary["input"]["sha256"] == hashlib.sha256(files[SMALL]).hexdigest()
    archive = (small_disk_run.out / SMALL / "small.fastq.gz").read_bytes()
    assert gzip.decompress(archive) == files[SMALL]
