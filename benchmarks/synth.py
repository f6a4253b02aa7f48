"""Synth benchmark: what BatchFilePipeline costs at ``cdk synth`` time, and how it scales.

1. The minimal example (``examples/minimal/app.py``) against the same resources written by hand
   with aws-cdk-lib L2 constructs (``benchmarks/handwritten_stack.py``), in alternating fresh
   interpreters (jsii's start-up is part of every real synth), median of ``--repeats`` each.
   Both templates' resources are counted by type so the comparison is visibly like for like.
2. Apps with 1, 10 and 50 pipelines sharing one VPC, at most 10 pipelines per stack (a pipeline
   without its own VPC is ~37 resources; CloudFormation allows 500 per stack): stacks,
   resources, template bytes, wall seconds and the synth phases, and the growth per pipeline.

Run alone: ``python -m benchmarks.synth [--repeats 5] [--pipelines 1,10,50]``.
"""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from ._util import EXAMPLES, ROOT, SynthRun, heading, median, resource_types, synth, table

DEFAULT_REPEATS = 3
DEFAULT_PIPELINES = (1, 10, 50)


def compare_with_handwritten(repeats: int) -> dict[str, Any]:
    """Alternate minimal-example and hand-written synths; medians, ratio and resource counts."""
    minimal_times: list[float] = []
    handwritten_times: list[float] = []
    minimal_cpu: list[float] = []
    handwritten_cpu: list[float] = []
    minimal_run: SynthRun | None = None
    handwritten_run: SynthRun | None = None
    for _ in range(repeats):
        run = synth(["app.py"], cwd=EXAMPLES / "minimal")
        minimal_times.append(run.wall_seconds)
        minimal_cpu.append(run.cpu_seconds)
        _keep_last(minimal_run)
        minimal_run = run
        run = synth(["-m", "benchmarks.handwritten_stack"], cwd=EXAMPLES / "minimal")
        handwritten_times.append(run.wall_seconds)
        handwritten_cpu.append(run.cpu_seconds)
        _keep_last(handwritten_run)
        handwritten_run = run
    assert minimal_run is not None and handwritten_run is not None
    (minimal_template,) = minimal_run.templates().values()
    (handwritten_template,) = handwritten_run.templates().values()
    minimal_types = resource_types(minimal_template)
    handwritten_types = resource_types(handwritten_template)
    return {
        "repeats": repeats,
        "minimal_seconds": minimal_times,
        "handwritten_seconds": handwritten_times,
        "minimal_median": median(minimal_times),
        "handwritten_median": median(handwritten_times),
        "ratio": median(minimal_times) / median(handwritten_times),
        "minimal_cpu_median": median(minimal_cpu),
        "handwritten_cpu_median": median(handwritten_cpu),
        "cpu_ratio": median(minimal_cpu) / median(handwritten_cpu),
        "minimal_resources": sum(minimal_types.values()),
        "handwritten_resources": sum(handwritten_types.values()),
        "minimal_types": dict(minimal_types),
        "handwritten_types": dict(handwritten_types),
        "minimal_outdir": str(minimal_run.outdir),
        "handwritten_outdir": str(handwritten_run.outdir),
    }


def scale(pipelines: tuple[int, ...]) -> list[dict[str, Any]]:
    """Synthesize an app of each size; stacks, resources, bytes and times."""
    rows = []
    for count in pipelines:
        run = synth(["-m", "benchmarks._apps", "scale", str(count)], cwd=ROOT)
        templates = run.templates()
        rows.append(
            {
                "pipelines": count,
                "stacks": len(templates),
                "resources": sum(len(t.get("Resources", {})) for t in templates.values()),
                "max_stack_resources": max(len(t.get("Resources", {})) for t in templates.values()),
                "template_bytes": run.template_bytes(),
                "wall_seconds": run.wall_seconds,
                "cpu_seconds": run.cpu_seconds,
                **run.phases,
            }
        )
        shutil.rmtree(run.outdir, ignore_errors=True)
    return rows


def run(
    repeats: int = DEFAULT_REPEATS, pipelines: tuple[int, ...] = DEFAULT_PIPELINES
) -> dict[str, Any]:
    """Both parts of the benchmark."""
    return {"comparison": compare_with_handwritten(repeats), "scale": scale(pipelines)}


def report(results: dict[str, Any]) -> str:
    """The benchmark's part of the report."""
    comparison = results["comparison"]
    lines = [heading("Synth: minimal example vs the same resources by hand (fresh interpreters)")]
    lines.append(
        table(
            ["app", "resources", "wall median s", "CPU median s", "wall runs (s)"],
            [
                [
                    "examples/minimal (BatchFilePipeline)",
                    comparison["minimal_resources"],
                    comparison["minimal_median"],
                    comparison["minimal_cpu_median"],
                    ", ".join(f"{s:.1f}" for s in comparison["minimal_seconds"]),
                ],
                [
                    "benchmarks/handwritten_stack.py (L2)",
                    comparison["handwritten_resources"],
                    comparison["handwritten_median"],
                    comparison["handwritten_cpu_median"],
                    ", ".join(f"{s:.1f}" for s in comparison["handwritten_seconds"]),
                ],
            ],
        )
    )
    lines.append(
        f"ratio construct / hand-written: {comparison['ratio']:.2f}x wall, "
        f"{comparison['cpu_ratio']:.2f}x CPU (medians of {comparison['repeats']} alternating runs each; "
        "CPU = the app's python and node processes, steadier than wall time on a busy machine)"
    )
    types = sorted(set(comparison["minimal_types"]) | set(comparison["handwritten_types"]))
    differing = [
        [t, comparison["minimal_types"].get(t, 0), comparison["handwritten_types"].get(t, 0)]
        for t in types
        if comparison["minimal_types"].get(t, 0) != comparison["handwritten_types"].get(t, 0)
    ]
    lines.append(
        "resource types: identical counts in both templates"
        if not differing
        else "resource types that differ:\n" + table(["type", "construct", "by hand"], differing)
    )

    rows = results["scale"]
    lines.append(heading("Synth: pipelines sharing one VPC (<= 10 pipelines per stack)"))
    lines.append(
        table(
            [
                "pipelines",
                "stacks",
                "resources",
                "max/stack",
                "template bytes",
                "wall s",
                "CPU s",
                "import s",
                "construct s",
                "synth s",
            ],
            [
                [
                    r["pipelines"],
                    r["stacks"],
                    r["resources"],
                    r["max_stack_resources"],
                    r["template_bytes"],
                    r["wall_seconds"],
                    r["cpu_seconds"],
                    r.get("import_seconds", float("nan")),
                    r.get("construct_seconds", float("nan")),
                    r.get("synth_seconds", float("nan")),
                ]
                for r in rows
            ],
        )
    )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        extra = last["pipelines"] - first["pipelines"]
        lines.append(
            f"growth per added pipeline ({first['pipelines']} -> {last['pipelines']}): "
            f"{(last['wall_seconds'] - first['wall_seconds']) / extra:.2f} s wall, "
            f"{(last['cpu_seconds'] - first['cpu_seconds']) / extra:.2f} s CPU, "
            f"{(last['resources'] - first['resources']) / extra:.1f} resources, "
            f"{(last['template_bytes'] - first['template_bytes']) / extra / 1024:.1f} KiB of template"
        )
    return "\n".join(lines)


def _keep_last(previous: SynthRun | None) -> None:
    if previous is not None:
        shutil.rmtree(previous.outdir, ignore_errors=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's command-line options."""
    parser.add_argument(
        "--repeats", type=int, default=DEFAULT_REPEATS, help="alternating runs of each app"
    )
    parser.add_argument(
        "--pipelines",
        default=",".join(map(str, DEFAULT_PIPELINES)),
        help="comma-separated app sizes, e.g. 1,10,50",
    )


def from_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """Run with parsed options."""
    return run(args.repeats, tuple(int(n) for n in args.pipelines.split(",") if n))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    print(report(from_arguments(parser.parse_args())))
