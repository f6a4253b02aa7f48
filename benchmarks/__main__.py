"""Run every benchmark and print one report: ``python -m benchmarks``.

Order matters for honest timings: the synth and cold-start benchmarks time real processes, so they
run alone; the arrival benchmark measures simulated time, so it runs while the idle-cost benchmark
synthesizes the examples it prices.

Options (``--help`` lists them all): ``--only arrival,synth,cold-start,idle-cost``,
``--files 2000``, ``--packing-files 1000,100000,1000000``, ``--lost-rate 0.01``, ``--crash-rate 0.01``,
``--repeats 5``, ``--json results.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import arrival, cold_start, idle_cost, packing, synth
from ._util import ROOT, heading
from ._util import synth as synth_app

PARTS = ("synth", "cold-start", "arrival", "packing", "idle-cost")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS)
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also write every figure to this file"
    )
    for module in (synth, cold_start, arrival, packing):
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")

    started = time.perf_counter()
    print(
        f"batch-pipeline-construct benchmarks, {time.strftime('%Y-%m-%d %H:%M %Z')}: "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{_cpus()} CPUs, load average {_load()}",
        flush=True,
    )
    results: dict[str, Any] = {}
    minimal_outdir: Path | None = None

    if "synth" in parts:
        results["synth"] = synth.from_arguments(args)
        minimal_outdir = Path(results["synth"]["minimal"]["outdir"])
        print(synth.report(results["synth"]), flush=True)

    if "cold-start" in parts:
        results["cold-start"] = cold_start.run(minimal_outdir, args.runs)
        print(cold_start.report(results["cold-start"]), flush=True)

    assembly: Path | None = None
    if "idle-cost" in parts:
        assembly = synth_app(["-m", "benchmarks._apps", "variants"], cwd=ROOT).outdir

    with ThreadPoolExecutor(max_workers=2) as pool:
        idle = (
            pool.submit(
                idle_cost.run, assembly, {"minimal": minimal_outdir} if minimal_outdir else None
            )
            if "idle-cost" in parts
            else None
        )
        if "arrival" in parts:
            arrival_results = arrival.from_arguments(args)
            results["arrival"] = arrival.as_json(arrival_results)
            print(arrival.report(arrival_results), flush=True)
        if "packing" in parts:
            results["packing"] = packing.as_json(packing_results := packing.from_arguments(args))
            print(packing.report(packing_results), flush=True)
        if idle is not None:
            results["idle-cost"] = idle.result()
            print(idle_cost.report(results["idle-cost"]), flush=True)

    print(heading("Done"))
    print(f"{', '.join(parts)} in {time.perf_counter() - started:.0f} s real time")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        print(f"figures written to {args.json}")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def _load() -> str:
    import os

    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


if __name__ == "__main__":
    main(sys.argv[1:])
