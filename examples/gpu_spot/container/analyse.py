"""The GPU example's job: column statistics of a CSV dataset, and the GPUs the job was given.

The job reads the CSV object at INPUT_URI (gzip-compressed when the key ends in ``.gz``) as a
stream, so a dataset larger than the job's memory is fine, and writes ``statistics.json`` under
OUTPUT_URI: for every column that holds numbers, its count, mean, standard deviation, minimum and
maximum, plus the GPUs ``nvidia-smi`` reports. The statistics themselves are computed on the CPU;
this is the place to call your CUDA code (PyTorch, CuPy, RAPIDS...) on the GPUs listed.

With ``REQUIRE_GPU=true`` in the environment (the example's job definition sets it) the job fails
when it sees no GPU, instead of quietly running somewhere it was not meant to.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_NVIDIA_SMI = (
    "nvidia-smi",
    "--query-gpu=index,name,memory.total,driver_version",
    "--format=csv,noheader,nounits",
)


class NoGpuError(RuntimeError):
    """The job needs a GPU (REQUIRE_GPU=true) and none is visible."""


def gpu_inventory(
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> list[dict[str, Any]]:
    """The GPUs this container can use, as ``nvidia-smi`` lists them; empty when there is none.

    On AWS Batch's GPU AMI the NVIDIA runtime mounts ``nvidia-smi`` and the driver into a container
    that asks for GPUs; elsewhere the command is missing, or fails because no driver is loaded.
    """
    try:
        result = run(_NVIDIA_SMI, capture_output=True, text=True, timeout=60, check=False)
    except (FileNotFoundError, PermissionError, subprocess.TimeoutExpired):
        return []
    if result.returncode != 0:
        return []
    gpus = []
    for line in result.stdout.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 4:
            continue
        index, name, memory_mib, driver = fields
        gpus.append(
            {"index": int(index), "name": name, "memory_mib": int(memory_mib), "driver": driver}
        )
    return gpus


@dataclass
class _Column:
    """Running statistics of one column (Welford's algorithm: one pass, numerically stable)."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    non_numeric: int = 0

    def add(self, text: str) -> None:
        try:
            value = float(text)
        except ValueError:
            self.non_numeric += 1
            return
        if not math.isfinite(value):
            self.non_numeric += 1
            return
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (value - self.mean)
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)

    def summary(self) -> dict[str, float | int]:
        return {
            "count": self.count,
            "mean": self.mean,
            "stddev": math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0,
            "min": self.minimum,
            "max": self.maximum,
        }


def column_statistics(rows: Iterable[Mapping[str, str | None]]) -> dict[str, Any]:
    """Row count and, for every column whose non-empty cells are all numbers, its statistics."""
    columns: dict[str, _Column] = {}
    row_count = 0
    for row in rows:
        row_count += 1
        for name, text in row.items():
            if name is None or text is None or not text.strip():
                continue
            columns.setdefault(name, _Column()).add(text)
    numeric = {
        name: column.summary()
        for name, column in columns.items()
        if column.count and not column.non_numeric
    }
    return {
        "rows": row_count,
        "numeric_columns": numeric,
        "other_columns": sorted(set(columns) - set(numeric)),
    }


def _text_stream(body: Any, key: str) -> io.TextIOWrapper:
    raw = gzip.GzipFile(fileobj=body) if key.endswith(".gz") else body
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def run(
    environ: Mapping[str, str],
    s3: Any,
    gpus: Callable[[], list[dict[str, Any]]] = gpu_inventory,
) -> str:
    """Analyse the contract's input object; returns the key of the statistics it wrote."""
    visible = gpus()
    if environ.get("REQUIRE_GPU", "").lower() == "true" and not visible:
        raise NoGpuError(
            "REQUIRE_GPU is true but nvidia-smi shows no GPU: does the job definition ask for "
            "GPUs and run on a GPU instance with the ECS GPU AMI?"
        )
    body = s3.get_object(Bucket=environ["INPUT_BUCKET"], Key=environ["INPUT_KEY"])["Body"]
    with _text_stream(body, environ["INPUT_KEY"]) as text:
        statistics = column_statistics(csv.DictReader(text))
    report = {"input": environ["INPUT_URI"], "gpus": visible, **statistics}
    key = environ["OUTPUT_PREFIX"] + "statistics.json"
    s3.put_object(
        Bucket=environ["OUTPUT_BUCKET"],
        Key=key,
        Body=json.dumps(report, indent=2).encode(),
        ContentType="application/json",
    )
    print(
        json.dumps(
            {
                "event": "statistics_written",
                "input": environ["INPUT_URI"],
                "rows": statistics["rows"],
                "gpus": [gpu["name"] for gpu in visible],
                "output": f"s3://{environ['OUTPUT_BUCKET']}/{key}",
            }
        )
    )
    return key


if __name__ == "__main__":
    import boto3

    try:
        run(os.environ, boto3.client("s3"))
    except NoGpuError as error:
        print(json.dumps({"event": "no_gpu", "error": str(error)}), file=sys.stderr)
        sys.exit(3)
