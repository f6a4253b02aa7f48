"""Shared helpers: running CDK apps in fresh interpreters, reading assemblies, printing tables."""

from __future__ import annotations

import atexit
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
_TEMPORARY: list[Path] = []


@atexit.register
def _remove_temporary() -> None:
    for path in _TEMPORARY:
        shutil.rmtree(path, ignore_errors=True)


def temporary_dir(prefix: str) -> Path:
    """A new folder, removed when the process exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _TEMPORARY.append(path)
    return path


@dataclass(frozen=True)
class SynthRun:
    """One app synthesized in a fresh interpreter."""

    outdir: Path
    wall_seconds: float
    cpu_seconds: float
    """User + system CPU of the app and its jsii (node) process: steadier than wall time on a busy machine."""
    phases: dict[str, float]

    def templates(self) -> dict[str, dict[str, Any]]:
        """Every stack's template in the assembly, by stack name."""
        return {
            path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in sorted(self.outdir.glob("*.template.json"))
        }

    def template_bytes(self) -> int:
        """Total size of the templates."""
        return sum(path.stat().st_size for path in self.outdir.glob("*.template.json"))


def synth(args: Sequence[str], *, cwd: Path, outdir: Path | None = None) -> SynthRun:
    """Run ``python ARGS`` as a CDK app (``CDK_OUTDIR`` set) in a fresh interpreter, timed."""
    outdir = outdir or temporary_dir("bpc-bench-")
    env = dict(os.environ)
    env["CDK_OUTDIR"] = str(outdir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("CDK_DISABLE_VERSION_CHECK", "1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise RuntimeError(
            f"synth of {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}"
        )
    phases: dict[str, float] = {}
    for line in result.stdout.splitlines():
        if line.startswith("{") and "synth_seconds" in line:
            phases = json.loads(line)
    return SynthRun(outdir, wall, cpu, phases)


def resource_types(template: dict[str, Any]) -> Counter[str]:
    """How many resources of each type ``template`` declares."""
    return Counter(resource["Type"] for resource in template.get("Resources", {}).values())


def median(values: Sequence[float]) -> float:
    """The median."""
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with right-aligned numbers."""
    cells = [[_fmt(value) for value in row] for row in rows]
    widths = [
        max(len(str(headers[i])), *(len(row[i]) for row in cells)) if cells else len(headers[i])
        for i in range(len(headers))
    ]

    def line(values: Sequence[str], numeric: Sequence[bool]) -> str:
        return "  ".join(
            value.rjust(widths[i]) if numeric[i] else value.ljust(widths[i])
            for i, value in enumerate(values)
        ).rstrip()

    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]
    out = [line([str(h) for h in headers], numeric), line(["-" * w for w in widths], numeric)]
    out += [line(row, numeric) for row in cells]
    return "\n".join(out)


def heading(title: str) -> str:
    """A section heading for the report."""
    return f"\n{title}\n{'=' * len(title)}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
