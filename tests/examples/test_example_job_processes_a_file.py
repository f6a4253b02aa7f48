"""The examples' job scripts process a real file in S3 (moto, real boto3 client) as in a job.

Each script gets the job contract's environment, exactly as the pipeline builds it
(``JobContract.environment()``), and must leave its result under ``OUTPUT_PREFIX``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from batch_pipeline_construct.runtime.job.contract import INPUT_SIZE, JobContract, output_prefix
from tests.examples.example_apps import EXAMPLES_DIR, load_module

INPUT_BUCKET = "pipeline-input"
OUTPUT_BUCKET = "pipeline-output"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real boto3 S3 client on moto, with the pipeline's two buckets."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=INPUT_BUCKET)
        client.create_bucket(Bucket=OUTPUT_BUCKET)
        yield client


def _arrive(s3: Any, key: str, body: bytes) -> dict[str, str]:
    """Upload ``body`` as ``key`` and return the environment the pipeline gives its job."""
    s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)
    contract = JobContract(
        INPUT_BUCKET, key, OUTPUT_BUCKET, output_prefix(key), input_size=len(body)
    )
    return contract.environment()


def _output_keys(s3: Any) -> list[str]:
    listing = s3.list_objects_v2(Bucket=OUTPUT_BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _json_object(s3: Any, key: str) -> Any:
    response = s3.get_object(Bucket=OUTPUT_BUCKET, Key=key)
    assert response["ContentType"] == "application/json"
    return json.loads(response["Body"].read())


def _job_script(example: str, script: str) -> ModuleType:
    return load_module(
        EXAMPLES_DIR / example / "container" / script, f"{example}_job_{script[:-3]}"
    )


# --- minimal: summary.json ----------------------------------------------------------------------


def test_minimal_job_writes_a_summary_of_the_file_under_the_output_prefix(s3: Any) -> None:
    process = _job_script("minimal", "process.py")
    body = b"the quick brown fox\njumps over the lazy dog\nthe end"
    key = "reports/März 2024/notes draft.txt"
    environ = _arrive(s3, key, body)

    written = process.run(environ, s3)

    assert written == f"{key}/summary.json"
    assert _output_keys(s3) == [written]
    summary = _json_object(s3, written)
    assert summary["input"] == f"s3://{INPUT_BUCKET}/{key}"
    assert summary["bytes"] == len(body)
    assert summary["sha256"] == hashlib.sha256(body).hexdigest()
    assert summary["lines"] == 3
    assert summary["words"] == 11
    assert summary["top_words"][0] == ["the", 3]


def test_minimal_job_rejects_a_file_that_is_not_text_and_writes_nothing(s3: Any) -> None:
    process = _job_script("minimal", "process.py")
    environ = _arrive(s3, "scan.bin", b"GIF89a\xff\xfe\x00binary")

    with pytest.raises(process.NotText, match=r"s3://pipeline-input/scan.bin is not UTF-8 text"):
        process.run(environ, s3)

    assert _output_keys(s3) == []


# --- gpu_spot: statistics.json ------------------------------------------------------------------

DATASET = (
    b"sample,temperature,pressure,label\n1,20.5,1013,a\n2,21.5,1009,b\n3,,1011,c\n4,22.0,1015,\n"
)


def _no_gpu() -> list[dict[str, Any]]:
    return []


def test_gpu_job_writes_column_statistics_of_a_csv_without_a_gpu(s3: Any) -> None:
    analyse = _job_script("gpu_spot", "analyse.py")
    key = "datasets/run 7/sensors.csv"
    environ = _arrive(s3, key, DATASET)

    written = analyse.run(environ, s3, gpus=_no_gpu)

    assert written == f"{key}/statistics.json"
    assert _output_keys(s3) == [written]
    report = _json_object(s3, written)
    assert report["input"] == f"s3://{INPUT_BUCKET}/{key}"
    assert report["gpus"] == []
    assert report["rows"] == 4
    assert report["other_columns"] == ["label"]
    temperature = report["numeric_columns"]["temperature"]
    # The empty cell is skipped: three values.
    assert temperature["count"] == 3
    assert temperature["mean"] == pytest.approx(64.0 / 3)
    assert temperature["stddev"] == pytest.approx(0.7637626, rel=1e-6)
    assert (temperature["min"], temperature["max"]) == (20.5, 22.0)
    assert report["numeric_columns"]["sample"]["max"] == 4


def test_gpu_job_reads_gzip_compressed_datasets(s3: Any) -> None:
    analyse = _job_script("gpu_spot", "analyse.py")
    environ = _arrive(s3, "datasets/sensors.csv.gz", gzip.compress(DATASET))

    report = _json_object(s3, analyse.run(environ, s3, gpus=_no_gpu))

    assert report["rows"] == 4
    assert report["numeric_columns"]["pressure"]["mean"] == pytest.approx(1012.0)


def test_gpu_job_reports_the_gpus_nvidia_smi_lists(s3: Any) -> None:
    analyse = _job_script("gpu_spot", "analyse.py")
    calls: list[tuple[str, ...]] = []

    def nvidia_smi(command: tuple[str, ...], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(
            command, 0, stdout="0, NVIDIA A10G, 23028, 550.90.07\n", stderr=""
        )

    environ = {**_arrive(s3, "datasets/a.csv", DATASET), "REQUIRE_GPU": "true"}
    report = _json_object(
        s3, analyse.run(environ, s3, gpus=lambda: analyse.gpu_inventory(run=nvidia_smi))
    )

    assert calls and calls[0][0] == "nvidia-smi"
    assert report["gpus"] == [
        {"index": 0, "name": "NVIDIA A10G", "memory_mib": 23028, "driver": "550.90.07"}
    ]


@pytest.mark.parametrize(
    "nvidia_smi_outcome",
    [FileNotFoundError("nvidia-smi"), subprocess.CompletedProcess((), 9, "", "no driver")],
    ids=["nvidia-smi missing", "nvidia-smi fails"],
)
def test_gpu_inventory_is_empty_where_there_is_no_gpu(nvidia_smi_outcome: Any) -> None:
    analyse = _job_script("gpu_spot", "analyse.py")

    def nvidia_smi(command: tuple[str, ...], **_: Any) -> subprocess.CompletedProcess[str]:
        if isinstance(nvidia_smi_outcome, Exception):
            raise nvidia_smi_outcome
        result: subprocess.CompletedProcess[str] = nvidia_smi_outcome
        return result

    assert analyse.gpu_inventory(run=nvidia_smi) == []


def test_gpu_job_that_requires_a_gpu_fails_without_one_and_writes_nothing(s3: Any) -> None:
    analyse = _job_script("gpu_spot", "analyse.py")
    environ = {**_arrive(s3, "datasets/a.csv", DATASET), "REQUIRE_GPU": "true"}

    with pytest.raises(analyse.NoGpuError, match="REQUIRE_GPU"):
        analyse.run(environ, s3, gpus=_no_gpu)

    assert _output_keys(s3) == []


# --- existing_resources: archive + receipt.json -------------------------------------------------


def test_archive_job_writes_a_gzip_archive_and_a_receipt_that_matches_the_original(
    s3: Any,
) -> None:
    archive = _job_script("existing_resources", "archive.py")
    body = bytes(range(256)) * 5000  # 1.2 MiB: more than one read chunk
    key = "incoming/2024/Scan 0042.pdf"
    environ = _arrive(s3, key, body)

    written = archive.run(environ, s3)

    prefix = f"{key}/"
    assert written == f"{prefix}receipt.json"
    assert _output_keys(s3) == [f"{prefix}Scan 0042.pdf.gz", written]
    stored = s3.get_object(Bucket=OUTPUT_BUCKET, Key=f"{prefix}Scan 0042.pdf.gz")
    assert stored["ContentType"] == "application/gzip"
    compressed = stored["Body"].read()
    assert gzip.decompress(compressed) == body
    receipt = _json_object(s3, written)
    assert receipt["original"] == {
        "uri": f"s3://{INPUT_BUCKET}/{key}",
        "version_id": None,
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    assert receipt["archive"] == {
        "uri": f"s3://{OUTPUT_BUCKET}/{prefix}Scan 0042.pdf.gz",
        "bytes": len(compressed),
        "encoding": "gzip",
    }


# --- large_files: <file name>.gz + summary.json, streamed when the disk is too small -------------


def _lines(count: int) -> bytes:
    """Text of ``count`` numbered lines, the last one without its newline."""
    return b"\n".join(b"reading %07d: %s" % (n, b"ACGT" * (n % 13)) for n in range(count))


def _archive_of(s3: Any, summary: dict[str, Any]) -> bytes:
    key = summary["archive"]["uri"].removeprefix(f"s3://{OUTPUT_BUCKET}/")
    stored = s3.get_object(Bucket=OUTPUT_BUCKET, Key=key)
    assert stored["ContentType"] == "application/gzip"
    archive: bytes = stored["Body"].read()
    return archive


def test_large_files_job_downloads_a_file_that_fits_its_scratch_and_archives_it(
    s3: Any, tmp_path: Path
) -> None:
    compress = _job_script("large_files", "compress.py")
    body = _lines(20_000)  # 0.6 MiB: more than one read chunk
    key = "runs/2024-05/sample 7.fastq"
    environ = _arrive(s3, key, body)

    written = compress.run(environ, s3, scratch=tmp_path)

    assert written == f"{key}/summary.json"
    assert _output_keys(s3) == [f"{key}/sample 7.fastq.gz", written]
    summary = _json_object(s3, written)
    assert summary["read"] == "downloaded"
    assert summary["input"] == {
        "uri": f"s3://{INPUT_BUCKET}/{key}",
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "lines": 20_000,
    }
    archive = _archive_of(s3, summary)
    assert summary["archive"]["bytes"] == len(archive)
    assert gzip.decompress(archive) == body
    assert list(tmp_path.iterdir()) == [], "the downloaded copy is deleted once read"


def test_large_files_job_streams_a_file_its_scratch_cannot_hold_in_multipart_upload_parts(
    s3: Any, tmp_path: Path
) -> None:
    compress = _job_script("large_files", "compress.py")
    # Random bytes do not compress: the archive is 20 MiB too, three 8 MiB upload parts.
    body = random.Random(14).randbytes(20 * 1024 * 1024)
    environ = _arrive(s3, "video/take 3.mov", body)

    summary = _json_object(s3, compress.run(environ, s3, scratch=tmp_path, free=len(body)))

    assert summary["read"] == "streamed"
    assert summary["scratch_free_bytes"] == len(body)
    assert summary["input"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert summary["input"]["bytes"] == len(body)
    archive = _archive_of(s3, summary)
    assert gzip.decompress(archive) == body
    head = s3.head_object(Bucket=OUTPUT_BUCKET, Key="video/take 3.mov/take 3.mov.gz")
    assert head["ETag"].endswith('-3"'), "uploaded in three parts"
    assert list(tmp_path.iterdir()) == [], "nothing of a streamed file touches the disk"


def test_large_files_job_streams_a_file_whose_size_the_contract_does_not_give(
    s3: Any, tmp_path: Path
) -> None:
    compress = _job_script("large_files", "compress.py")
    body = b"one line\nand another\n"
    environ = _arrive(s3, "notes.txt", body)
    del environ[INPUT_SIZE]

    summary = _json_object(s3, compress.run(environ, s3, scratch=tmp_path))

    assert summary["read"] == "streamed"
    assert summary["input"]["lines"] == 2
    assert gzip.decompress(_archive_of(s3, summary)) == body


@pytest.mark.parametrize(
    ("size", "free", "downloaded"),
    [(0, 0, True), (500, 1000, True), (501, 1000, False), (10**11, 20 * 2**30, False)],
)
def test_large_files_job_downloads_only_files_up_to_half_the_free_space(
    size: int, free: int, downloaded: bool
) -> None:
    compress = _job_script("large_files", "compress.py")
    assert compress.fits_on_disk(size, free) is downloaded


def test_large_files_gzip_stream_reads_full_parts_until_the_end() -> None:
    compress = _job_script("large_files", "compress.py")
    body = random.Random(3).randbytes(300_000)
    stream = compress.GzipStream(body[i : i + 1000] for i in range(0, len(body), 1000))

    parts = list(iter(lambda: stream.read(65_536), b""))

    sizes = [len(part) for part in parts]
    assert len(sizes) > 2 and set(sizes[:-1]) == {65_536} and 0 < sizes[-1] <= 65_536
    assert stream.bytes == sum(sizes)
    assert gzip.decompress(b"".join(parts)) == body


@pytest.mark.parametrize("size", [None, 0, 70 * 2**30, 100 * 2**30, 5 * 2**40])
def test_large_files_job_uploads_any_archive_within_s3s_10_000_parts(size: int | None) -> None:
    compress = _job_script("large_files", "compress.py")
    part = compress.part_bytes(size)
    assert part % 2**20 == 0 and 5 * 2**20 <= part <= 5 * 2**30, "S3's part size limits"
    # gzip adds at most 5 bytes per 64 KiB of a file that does not compress (stored blocks).
    assert 10_000 * part >= (size or 0) * 1.001
