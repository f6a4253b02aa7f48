"""Synth benchmark: what BatchFilePipeline costs at ``cdk synth`` time, and how it scales.

1. The minimal example (``examples/minimal/app.py``) in fresh interpreters (jsii's start-up is
   part of every real synth), median of ``--repeats``. (The comparison with the same resources
   written by hand, 1.08x, is recorded in docs/performance.md with how to reproduce it.)
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


def minimal(repeats: int) -> dict[str, Any]:
    """Synth the minimal example ``repeats`` times in fresh interpreters; medians and resources."""
    times: list[float] = []
    cpu: list[float] = []
    last: SynthRun | None = None
    for _ in range(repeats):
        run = synth(["app.py"], cwd=EXAMPLES / "minimal")
        times.append(run.wall_seconds)
        cpu.append(run.cpu_seconds)
        _keep_last(last)
        last = run
    assert last is not None
    (template,) = last.templates().values()
    return {
        "repeats": repeats,
        "seconds": times,
        "median": median(times),
        "cpu_median": median(cpu),
        "resources": sum(resource_types(template).values()),
        "outdir": str(last.outdir),
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
    return {"minimal": minimal(repeats), "scale": scale(pipelines)}


def report(results: dict[str, Any]) -> str:
    """The benchmark's part of the report."""
    example = results["minimal"]
    lines = [heading("Synth: the minimal example (fresh interpreters)")]
    lines.append(
        table(
            ["app", "resources", "wall median s", "CPU median s", "wall runs (s)"],
            [
                [
                    "examples/minimal (BatchFilePipeline)",
                    example["resources"],
                    example["median"],
                    example["cpu_median"],
                    ", ".join(f"{s:.1f}" for s in example["seconds"]),
                ]
            ],
        )
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
        "--repeats", type=int, default=DEFAULT_REPEATS, help="runs of the minimal example"
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
