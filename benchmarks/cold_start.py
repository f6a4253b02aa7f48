"""Cold start: the arrival handler's import, INIT and first invocation; what the Lambda asset holds.

The asset is taken from a synthesized assembly (the staged folder whose ``runtime/`` holds
``arrival/handler.py``), copied to a fresh folder for every run, and imported in a fresh
interpreter as Lambda does: ``import runtime.arrival.handler`` with the asset folder first on
``sys.path``. Two figures, each the median of ``--runs``:

* *as shipped*: the asset has no ``.pyc`` files (they are excluded) and Lambda's ``/var/task`` is
  read-only, so every cold start compiles the handler's modules; ``-B`` keeps it that way here;
* *with bytecode*: the same with compiled ``.pyc`` files (a lower bound);
* *INIT* and *first invocation*: with ``AWS_LAMBDA_FUNCTION_NAME`` set, as in Lambda, the import
  creates the four boto3 clients (INIT); then one invocation with one file, against a moto server
  over HTTP (``AWS_ENDPOINT_URL``): its first call of each API (claim, SubmitJob, record) is part
  of it. Its CPU time is the function's; moto's time to answer shows in the wall time only.

boto3 and botocore come from the interpreter's site-packages, as they come from the Lambda
runtime. ``-X importtime`` names the slowest imports. The asset's size and file list show that
it holds the pipeline's runtime code only (no boto3, no CDK, no caches).

Run alone: ``python -m benchmarks.cold_start [--runs 7] [--assembly DIR]``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ._util import EXAMPLES, heading, synth, table

DEFAULT_RUNS = 7
GOAL_MS = 300.0
_CLIENTS = "; from runtime import clients; clients.batch(); clients.dynamodb(); clients.sqs(); clients.s3()"
_FIRST_INVOCATION = (
    "import json, os, time, sys; t, c = time.perf_counter(), time.process_time(); "
    "import runtime.arrival.handler as h; "
    "t1, c1 = time.perf_counter(), time.process_time(); "
    "ctx = type('C', (), {'get_remaining_time_in_millis': lambda self: 60000})(); "
    "out = h.handler(json.loads(os.environ['BPC_BENCH_EVENT']), ctx); "
    "t2, c2 = time.perf_counter(), time.process_time(); "
    "assert not out['batchItemFailures'], out; "
    "sys.stdout.write(f'{(t1 - t) * 1000} {(c1 - c) * 1000} {(t2 - t1) * 1000} {(c2 - c1) * 1000}')"
)
_PROBE = (
    "import time, sys; t, c = time.perf_counter(), time.process_time(); import runtime.arrival.handler; "
    "sys.stdout.write(f'{(time.perf_counter() - t) * 1000} {(time.process_time() - c) * 1000}')"
)


def find_asset(assembly: Path) -> Path:
    """The staged arrival-function asset folder in ``assembly``."""
    for candidate in sorted(assembly.glob("asset.*")):
        if (candidate / "runtime" / "arrival" / "handler.py").is_file():
            return candidate
    raise FileNotFoundError(f"no arrival-function asset (runtime/arrival/handler.py) in {assembly}")


def _import_ms(asset: Path, *, bytecode: bool, clients: bool = False) -> tuple[float, float, str]:
    """(wall ms, CPU ms, -X importtime trace) of one import in a fresh interpreter."""
    probe = _PROBE.replace(
        "import runtime.arrival.handler;",
        "import runtime.arrival.handler" + (_CLIENTS if clients else "") + ";",
    )
    with tempfile.TemporaryDirectory(prefix="bpc-cold-") as tmp:
        task = Path(tmp) / "task"
        shutil.copytree(asset, task)
        if bytecode:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(task)], check=True)
        flags = ["-X", "importtime"] + ([] if bytecode else ["-B"])
        result = _python(task, [*flags, "-c", probe], bytecode=bytecode)
        wall, cpu = (float(v) for v in result.stdout.split())
        return wall, cpu, result.stderr


def _by_package(importtime: str, count: int = 8) -> list[tuple[str, float]]:
    """Import time (self, ms) summed by top-level package, largest first."""
    totals: dict[str, float] = {}
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        try:
            microseconds = int(own.strip())
        except ValueError:
            continue
        package = name.strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + microseconds / 1000
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def _python(
    task: Path, args: list[str], *, bytecode: bool, **environ: str
) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter in the asset copy ``task``, as Lambda starts one (plus ``environ``)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=task,
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(task),
            "PYTHONDONTWRITEBYTECODE": "" if bytecode else "1",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            **environ,
        },
    )


def _first_invocation_ms(asset: Path, runs: int) -> dict[str, list[float]]:
    """INIT and first-invocation (wall ms, CPU ms) of ``runs`` fresh interpreters, each
    submitting one file to a fresh pipeline in a moto server."""
    from moto.server import ThreadedMotoServer

    from tests.support.arrival_run import notification
    from tests.support.exactly_once_figures import INPUT_BUCKET, moto_pipeline

    figures: dict[str, list[float]] = {
        name: [] for name in ("init", "init_cpu", "first_invocation", "first_invocation_cpu")
    }
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        for run in range(runs):
            # the server thread answers from the same moto backends the pipeline is created in
            with moto_pipeline(bulk=False) as environ, tempfile.TemporaryDirectory() as tmp:
                body = notification(f"cold/{run}.csv", "v1", INPUT_BUCKET)
                record = {
                    "messageId": f"cold-{run}",
                    "receiptHandle": f"cold-{run}",
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:arrival",
                    "awsRegion": "us-east-1",
                }
                task = Path(tmp) / "task"
                shutil.copytree(asset, task)
                result = _python(
                    task,
                    ["-B", "-c", _FIRST_INVOCATION],
                    bytecode=False,
                    AWS_ACCESS_KEY_ID="testing",
                    AWS_SECRET_ACCESS_KEY="testing",
                    AWS_LAMBDA_FUNCTION_NAME="arrival",
                    AWS_ENDPOINT_URL=f"http://{host}:{port}",
                    BPC_BENCH_EVENT=json.dumps({"Records": [record]}),
                    **environ,
                )
            values = [float(v) for v in result.stdout.split()[-4:]]
            for name, value in zip(figures, values, strict=True):
                figures[name].append(value)
    finally:
        server.stop()
    return figures


def asset_contents(asset: Path) -> dict[str, Any]:
    """Files, bytes, zipped bytes, and anything that is not our runtime code."""
    files = sorted(p for p in asset.rglob("*") if p.is_file())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(asset))
    relative = [str(p.relative_to(asset)) for p in files]
    foreign = [
        name
        for name in relative
        if not (name.startswith("runtime/") and name.endswith(".py")) or "__pycache__" in name
    ]
    return {
        "files": relative,
        "bytes": sum(p.stat().st_size for p in files),
        "zip_bytes": len(buffer.getvalue()),
        "foreign": foreign,
    }


def run(assembly: Path | None = None, runs: int = DEFAULT_RUNS) -> dict[str, Any]:
    """Measure the asset in ``assembly`` (the minimal example, synthesized now, by default)."""
    if assembly is None:
        assembly = synth(["app.py"], cwd=EXAMPLES / "minimal").outdir
    asset = find_asset(assembly)
    figures: dict[str, list[float]] = {
        name: []
        for name in ("shipped", "shipped_cpu", "compiled", "compiled_cpu", "clients", "clients_cpu")
    }
    traces = []
    for _ in range(runs):
        wall, cpu, trace = _import_ms(asset, bytecode=False)
        figures["shipped"].append(wall)
        figures["shipped_cpu"].append(cpu)
        traces.append((cpu, trace))
        wall, cpu, _ = _import_ms(asset, bytecode=True)
        figures["compiled"].append(wall)
        figures["compiled_cpu"].append(cpu)
        wall, cpu, _ = _import_ms(asset, bytecode=False, clients=True)
        figures["clients"].append(wall)
        figures["clients_cpu"].append(cpu)
    figures.update(_first_invocation_ms(asset, runs))
    median_trace = sorted(traces)[len(traces) // 2][1]
    return {
        "asset": asset.name,
        "runs": runs,
        "python": sys.version.split()[0],
        **{f"{name}_ms": values for name, values in figures.items()},
        **{f"{name}_median_ms": statistics.median(values) for name, values in figures.items()},
        **{f"{name}_min_ms": min(values) for name, values in figures.items()},
        "by_package": _by_package(median_trace),
        **asset_contents(asset),
    }


def report(results: dict[str, Any]) -> str:
    """The benchmark's part of the report."""
    lines = [heading("Cold start: importing runtime.arrival.handler from the staged Lambda asset")]
    rows = []
    for name, label in (
        ("shipped", "as shipped (no .pyc: compiled at import)"),
        ("compiled", "with .pyc"),
        ("clients", "as shipped + the 4 boto3 clients (INIT in Lambda)"),
    ):
        rows.append(
            [
                label,
                results[f"{name}_median_ms"],
                results[f"{name}_min_ms"],
                results[f"{name}_cpu_median_ms"],
                ("MET" if results[f"{name}_cpu_median_ms"] < GOAL_MS else "NOT MET")
                if name != "clients"
                else "(not the goal)",
            ]
        )
    lines.append(
        table(
            [
                "import",
                "wall median ms",
                "wall min ms",
                "CPU median ms",
                f"< {GOAL_MS:.0f} ms (CPU)",
            ],
            rows,
        )
    )
    lines.append(
        "In Lambda (AWS_LAMBDA_FUNCTION_NAME set): INIT, the import with the 4 clients created, "
        f"{results['init_median_ms']:.0f} ms wall, {results['init_cpu_median_ms']:.0f} ms CPU; "
        "then the first invocation, one file submitted to a moto server over HTTP, "
        f"{results['first_invocation_median_ms']:.0f} ms wall (moto answering included), "
        f"{results['first_invocation_cpu_median_ms']:.0f} ms CPU (medians)."
    )
    lines.append(
        f"{results['runs']} fresh interpreters each; wall time swings with machine load, CPU time "
        "(what the import itself costs) does not, so the goal is judged on CPU."
    )
    lines.append(
        f"Python {results['python']} here; the function runs Python 3.14 on arm64 in Lambda. "
        "Import time by package (self ms, as shipped, median run): "
        + ", ".join(f"{name} {ms:.0f}" for name, ms in results["by_package"])
    )
    lines.append(
        f"asset {results['asset'][:18]}...: {len(results['files'])} files, {results['bytes']:,} bytes "
        f"({results['zip_bytes']:,} zipped); "
        + (
            "our runtime code only (runtime/*.py; no boto3, no CDK, no caches)"
            if not results["foreign"]
            else f"NOT only our code: {results['foreign']}"
        )
    )
    lines.append("  " + " ".join(results["files"]))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's command-line options."""
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="fresh interpreters per figure"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument(
        "--assembly", type=Path, default=None, help="a synthesized assembly (skips the synth)"
    )
    args = parser.parse_args()
    print(report(run(args.assembly, args.runs)))
