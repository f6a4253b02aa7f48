"""The job resolver's own failures, each with the exit code it ends the job with (see :mod:`.exit_codes`)."""

from __future__ import annotations

from . import exit_codes

__all__ = [
    "BadArrayIndex",
    "CommandNotExecutable",
    "CommandNotFound",
    "ContractUnavailable",
    "ManifestMissing",
    "ManifestUnreadable",
    "OutcomesUnwritable",
    "ResolverError",
    "StorageUnavailable",
]


class ResolverError(Exception):
    """A failure of the resolver itself (not of your command); its message says what is wrong."""

    exit_code: int = 1
    """The code the resolver exits with."""


class ContractUnavailable(ResolverError):
    """The environment is neither a per-file job's nor an array child's."""

    exit_code = exit_codes.EXIT_NO_CONTRACT
    """The code the resolver exits with: ``EXIT_NO_CONTRACT``."""


class BadArrayIndex(ResolverError):
    """``AWS_BATCH_JOB_ARRAY_INDEX`` is missing, not a number, or names no child of the manifest."""

    exit_code = exit_codes.EXIT_BAD_INDEX
    """The code the resolver exits with: ``EXIT_BAD_INDEX``."""


class ManifestMissing(ResolverError):
    """The manifest URI is not an S3 URI, or S3 has no object there (or denies reading it)."""

    exit_code = exit_codes.EXIT_MANIFEST_MISSING
    """The code the resolver exits with: ``EXIT_MANIFEST_MISSING``."""


class ManifestUnreadable(ResolverError):
    """The manifest is not one this resolver can read."""

    exit_code = exit_codes.EXIT_MANIFEST_MALFORMED
    """The code the resolver exits with: ``EXIT_MANIFEST_MALFORMED``."""


class StorageUnavailable(ResolverError):
    """S3 did not answer after botocore's retries; a new attempt of the job can succeed."""

    exit_code = exit_codes.EXIT_TRY_AGAIN
    """The code the resolver exits with: ``EXIT_TRY_AGAIN``."""


class OutcomesUnwritable(ResolverError):
    """The child's outcomes could not be written; a new attempt redoes only unrecorded files."""

    exit_code = exit_codes.EXIT_TRY_AGAIN
    """The code the resolver exits with: ``EXIT_TRY_AGAIN``."""


class CommandNotFound(ResolverError):
    """Your command is not on the ``PATH`` of the container."""

    exit_code = exit_codes.EXIT_COMMAND_NOT_FOUND
    """The code the resolver exits with: ``EXIT_COMMAND_NOT_FOUND``."""


class CommandNotExecutable(ResolverError):
    """Your command exists but cannot be run."""

    exit_code = exit_codes.EXIT_COMMAND_NOT_EXECUTABLE
    """The code the resolver exits with: ``EXIT_COMMAND_NOT_EXECUTABLE``."""
