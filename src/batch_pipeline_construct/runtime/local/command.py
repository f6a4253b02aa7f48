"""``batch-pipeline local``: run a pipeline on this machine (see :mod:`.runner`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..operator.arguments import positive_float, positive_int
from .errors import LocalRunError
from .runner import Report, run_locally

if TYPE_CHECKING:
    from ..operator.cli import Commands


def register(commands: Commands) -> None:
    """Add the ``local`` subcommand to the operator's command line."""
    parser = commands.add(
        "local",
        help="run a pipeline locally: real arrival code, real job image, local AWS APIs",
        description="Run a BatchFilePipeline on this machine, end to end, with Docker.",
        run=main,
        aws=False,
        json_output=False,
    )
    parser.add_argument(
        "app", type=Path, help="a CDK app folder (with cdk.json) or a synthesized cloud assembly"
    )
    parser.add_argument(
        "files", type=Path, nargs="+", help="files or folders to upload to the input bucket"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("local-run"), help="where outputs go (default ./local-run)"
    )
    parser.add_argument(
        "--pipeline", help="which pipeline, when the app has several (construct path)"
    )
    parser.add_argument("--prefix", default="", help="key prefix for the uploads (default none)")
    parser.add_argument(
        "--parallel", type=positive_int, default=2, help="containers run side by side (default 2)"
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=900.0,
        help="seconds before giving up (default 900)",
    )
    parser.add_argument(
        "--disk-mib",
        type=positive_int,
        metavar="MIB",
        help="give each job a read-only root and MIB MiB of writable disk in /tmp, to try a job "
        "on a disk smaller than its files (default: Docker's, as much as this machine has)",
    )
    parser.add_argument(
        "--shared-data",
        type=Path,
        metavar="DIR",
        help="a folder every job sees where the pipeline mounts its shared data (EFS), "
        "read-only unless the pipeline mounts it writable (needed when it has shared data)",
    )


def _print_failures(report: Report) -> None:
    for outcome in report.failed:
        print(f"FAILED {outcome.key} (exit code {outcome.exit_code}); its log:")
        for line in outcome.log.rstrip().splitlines():
            print(f"  | {line}")
    if report.dead_letters:
        print(f"{report.dead_letters} message(s) went to the dead-letter queue")


def main(arguments: argparse.Namespace) -> int:
    """Run; 0 when every file's job succeeded, 1 when any failed, 2 on a usage problem."""
    try:
        report = run_locally(
            arguments.app,
            arguments.files,
            arguments.out,
            pipeline_name=arguments.pipeline,
            prefix=arguments.prefix,
            parallel=arguments.parallel,
            timeout=arguments.timeout,
            disk_mib=arguments.disk_mib,
            shared_data=arguments.shared_data,
        )
    except LocalRunError as problem:
        print(f"batch-pipeline local: {problem}", file=sys.stderr)
        return 2
    succeeded = len(report.outcomes) - len(report.failed)
    first = (
        f"{report.first_output_seconds:.1f} s"
        if report.first_output_seconds is not None
        else "none"
    )
    print(
        f"{succeeded} succeeded, {len(report.failed)} failed in {report.total_seconds:.1f} s "
        f"(first output after {first})"
    )
    _print_failures(report)
    return 0 if report.ok else 1
