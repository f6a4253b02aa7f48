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
    """The code the resolver exits with; each failure below says which."""

    def __init_subclass__(cls, *, exit_code: int, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.exit_code = exit_code


class ContractUnavailable(ResolverError, exit_code=exit_codes.EXIT_NO_CONTRACT):
    """The environment is neither a per-file job's nor an array child's.

    Exits ``EXIT_NO_CONTRACT``.
    """


class BadArrayIndex(ResolverError, exit_code=exit_codes.EXIT_BAD_INDEX):
    """``AWS_BATCH_JOB_ARRAY_INDEX`` is missing, not a number, or names no child of the manifest.

    Exits ``EXIT_BAD_INDEX``.
    """


class ManifestMissing(ResolverError, exit_code=exit_codes.EXIT_MANIFEST_MISSING):
    """The manifest URI is not an S3 URI, or S3 has no object there (or denies reading it).

    Exits ``EXIT_MANIFEST_MISSING``.
    """


class ManifestUnreadable(ResolverError, exit_code=exit_codes.EXIT_MANIFEST_MALFORMED):
    """The manifest is not one this resolver can read.

    Exits ``EXIT_MANIFEST_MALFORMED``.
    """


class StorageUnavailable(ResolverError, exit_code=exit_codes.EXIT_TRY_AGAIN):
    """S3 did not answer after botocore's retries; a new attempt of the job can succeed.

    Exits ``EXIT_TRY_AGAIN``.
    """


class OutcomesUnwritable(ResolverError, exit_code=exit_codes.EXIT_TRY_AGAIN):
    """The child's outcomes could not be written; a new attempt redoes only unrecorded files.

    Exits ``EXIT_TRY_AGAIN``.
    """


class CommandNotFound(ResolverError, exit_code=exit_codes.EXIT_COMMAND_NOT_FOUND):
    """Your command is not on the ``PATH`` of the container.

    Exits ``EXIT_COMMAND_NOT_FOUND``.
    """


class CommandNotExecutable(ResolverError, exit_code=exit_codes.EXIT_COMMAND_NOT_EXECUTABLE):
    """Your command exists but cannot be run.

    Exits ``EXIT_COMMAND_NOT_EXECUTABLE``.
    """
