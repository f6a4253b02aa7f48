"""The operator's command line, ``batch-pipeline``: ``status``, ``failed``, ``retry``,
``reprocess``, ``redrive`` and ``local``.

Install it with ``pip install "batch-pipeline-construct[operator]"``; the same command runs as
``python -m batch_pipeline_construct.runtime.operator``. Every command that acts on a deployed
pipeline takes ``--region``, ``--profile`` and ``--json``, and names the pipeline with
``--stack NAME [--pipeline CONSTRUCT_PATH]`` or ``--function NAME`` (see :mod:`.target`).
Errors are one line on stderr. The exit status is 0 when everything was done, 1 when some of the
work failed, 2 when the command could not run, 130 when interrupted.

Every subcommand lives in a module of its own, with a function
``register(commands: Commands) -> None`` that calls :meth:`Commands.add`. Adding a subcommand
takes two lines here: import its module, and list its ``register`` in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from ..local import command as local
from . import failed, redrive, reprocess, retry, status
from .errors import EXIT_INTERRUPTED, EXIT_UNUSABLE, OperatorError
from .session import INSTALL_HINT, use_session
from .target import add_target_options, region_of_function

__all__ = ["COMMANDS", "PROG", "Commands", "Run", "main"]

PROG = "batch-pipeline"
"""The console script's name."""
DEBUG_VARIABLE = "BATCH_PIPELINE_DEBUG"
"""Set to 1 to see the traceback of an unexpected error."""

Run = Callable[[argparse.Namespace], int]
"""A subcommand's body: takes the parsed arguments, returns the exit status."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of the commands."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_UNUSABLE, f"{self.prog}: error: {message} (see --help)\n")


class Commands:
    """Where each subcommand registers itself (see the module documentation)."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        # The subcommands' parsers are of the same class as ``parser`` (one-line errors).
        self._subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        self,
        name: str,
        *,
        help: str,
        run: Run,
        description: str | None = None,
        aws: bool = True,
        json_output: bool = True,
    ) -> argparse.ArgumentParser:
        """Add subcommand ``name``; return its parser, for the command's own arguments.

        ``aws`` commands act on a deployed pipeline: they get ``--region``, ``--profile``,
        ``--stack``, ``--pipeline`` and ``--function``, and the AWS session is set up before
        ``run`` is called (``args.aws_region`` is the Region it uses). Every command gets
        ``--json``.
        """
        parser = self._subparsers.add_parser(
            name, help=help, description=description or help, prog=f"{PROG} {name}"
        )
        parser.set_defaults(handler=run, aws=aws)
        if json_output:
            parser.add_argument("--json", action="store_true", help="print JSON for scripts")
        if aws:
            parser.add_argument(
                "--region", help="the AWS Region (default: AWS_REGION, else your configuration's)"
            )
            parser.add_argument("--profile", help="the AWS profile (default: your configuration's)")
            add_target_options(parser)
        return parser


Register = Callable[[Commands], None]
"""A subcommand module's ``register`` function."""

COMMANDS: tuple[Register, ...] = (
    status.register,
    failed.register,
    retry.register,
    reprocess.register,
    redrive.register,
    local.register,
)
"""Every subcommand, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line, every subcommand registered."""
    parser = _Parser(prog=PROG, description="Operate a deployed BatchFilePipeline.")
    commands = Commands(parser)
    for register in COMMANDS:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: the process's); return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.aws:
            region = args.region or region_of_function(args.function)
            args.aws_region = use_session(region=region, profile=args.profile)
        status: int = args.handler(args)
        return status
    except OperatorError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE) == "1":
            raise
        return _fail(_explain(error))


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def _explain(error: Exception) -> str:
    """One line that says what went wrong and, where we know it, what to do."""
    if isinstance(error, ModuleNotFoundError) and error.name in ("boto3", "botocore", "rich"):
        return f"the operator commands need {error.name}: {INSTALL_HINT}"
    try:
        from botocore import exceptions as aws
    except ModuleNotFoundError:
        return f"unexpected {type(error).__name__}: {error}"
    if isinstance(error, (aws.NoCredentialsError, aws.PartialCredentialsError)):
        return (
            "no AWS credentials found: run `aws configure` or `aws sso login`,"
            " set AWS_PROFILE, or pass --profile"
        )
    if isinstance(error, aws.ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "error")
        message = details.get("Message", "")
        return f"AWS refused {error.operation_name}: {code}: {message}".rstrip(": ")
    if isinstance(error, aws.EndpointConnectionError):
        return f"cannot reach AWS: {error} (check --region and the network)"
    if isinstance(error, aws.BotoCoreError):
        return str(error)
    return (
        f"unexpected {type(error).__name__}: {error} (set {DEBUG_VARIABLE}=1 to see the traceback)"
    )
