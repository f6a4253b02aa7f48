"""Helpers for the job container's tests: S3 served by a moto server, so the resolver runs as the
container runs it (its own process, real boto3 client, botocore's retries), a manifest writer
that plans children the way the arrival function does, and a user's command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.manifest import PackingSettings, plan_manifest

INPUT_BUCKET = "job-input"
OUTPUT_BUCKET = "job-output"

# The user's command: what it does depends on the file's name. It logs every run to RUN_LOG.
_COMMAND = textwrap.dedent(
    """
    import os, pathlib, signal, sys, time
    key = os.environ["INPUT_KEY"]
    log = pathlib.Path(os.environ["RUN_LOG"])
    with log.open("a") as runs:
        runs.write(key + "\\n")
    print(f"processing {key} into {os.environ['OUTPUT_URI']}")
    kind = key.split("-")[0]
    if kind == "bad":
        print("bad header")
        sys.exit(3)
    if kind == "fails":
        print("out of patience")
        sys.exit(1)
    if kind == "flaky" and log.read_text().splitlines().count(key) < 2:
        sys.exit(1)
    if kind == "host":
        marker = log.with_name(key + ".lost-host")
        if not marker.exists():
            marker.touch()
            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(10)
    if kind == "slow":
        time.sleep(1.0)
    """
)


@dataclass
class S3Server:
    """A moto S3 server and a client of it."""

    endpoint: str
    client: Any

    def put_manifest(
        self, keys: Sequence[str], packing: PackingSettings, name: str = "m.json"
    ) -> tuple[str, int]:
        """Write a manifest of ``keys`` planned as in a burst (packed); return its URI and the
        array size."""
        contracts = [JobContract(INPUT_BUCKET, key, OUTPUT_BUCKET, f"{key}/") for key in keys]
        plan = plan_manifest(contracts, OUTPUT_BUCKET, packing, waiting=packing.wave)
        self.client.put_object(Bucket=OUTPUT_BUCKET, Key=f"_manifests/{name}", Body=plan.body)
        return f"s3://{OUTPUT_BUCKET}/_manifests/{name}", plan.array_size

    def environ(self, **extra: str) -> dict[str, str]:
        """A container's environment pointing at this server."""
        return {
            "PATH": os.environ["PATH"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            **extra,
        }


class Resolver:
    """The resolver as a container's entry point runs it, with the user's command (``_COMMAND``)."""

    def __init__(self, server: S3Server, folder: Path) -> None:
        self.server = server
        self.run_log = folder / "runs.log"
        script = folder / "process.py"
        script.write_text(_COMMAND)
        self.command = [sys.executable, str(script)]

    def run(self, **environ: str) -> subprocess.CompletedProcess[str]:
        """Run the resolver with ``environ`` added to the container's environment."""
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "batch_pipeline_construct.runtime.job.resolver",
                "--",
                *self.command,
            ],
            env=self.server.environ(RUN_LOG=str(self.run_log), **environ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def runs(self) -> list[str]:
        """The keys the command ran for, in order, one entry per run."""
        return self.run_log.read_text().splitlines() if self.run_log.exists() else []
