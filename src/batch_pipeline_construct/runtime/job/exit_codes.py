"""The exit-code contract between the job resolver, your command and AWS Batch (public API).

Your command, run once per file with the per-file job contract:

==========================  ===============================================================
``0``                       the file is done.
``EXIT_DO_NOT_RETRY`` (3)   this file is bad: it is recorded as failed and not run again.
anything else               the attempt failed: the file is run again in the same container,
                            up to the manifest's ``maxFileAttempts`` (3 by default), then
                            recorded as failed with that exit code.
==========================  ===============================================================

The resolver itself exits with:

* ``0`` when every file of the job succeeded;
* for a per-file job, your command's last exit code;
* for an array child, ``EXIT_FILES_FAILED`` when its files all have an outcome but some failed
  (the outcomes say which and why);
* one code of its own per failure of its own, below. :data:`RETRYABLE_EXIT_CODES` are the ones
  AWS Batch should retry (S3 was unreachable: the child resumes where it stopped); every other
  code is final, and retrying it would only fail again. A per-file job whose command exits with
  a retryable code exits ``EXIT_FILES_FAILED`` instead: its attempts in the container are spent.
"""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INDEX",
    "EXIT_COMMAND_NOT_EXECUTABLE",
    "EXIT_COMMAND_NOT_FOUND",
    "EXIT_DONE",
    "EXIT_DO_NOT_RETRY",
    "EXIT_FILES_FAILED",
    "EXIT_MANIFEST_MALFORMED",
    "EXIT_MANIFEST_MISSING",
    "EXIT_NO_CONTRACT",
    "EXIT_TRY_AGAIN",
    "EXIT_USAGE",
    "FINAL_EXIT_CODES",
    "RETRYABLE_EXIT_CODES",
]

EXIT_DONE = 0
"""Your command: the file is done. The resolver: every file of the job succeeded."""
EXIT_DO_NOT_RETRY = 3
"""Your command: this file is bad; record it as failed and do not run it again."""

EXIT_USAGE = 2
"""The resolver was started with wrong arguments."""
EXIT_FILES_FAILED = 4
"""An array child finished every file, and at least one failed (see its outcomes)."""
EXIT_BAD_INDEX = 64
"""``AWS_BATCH_JOB_ARRAY_INDEX`` is not a number, or names no child of the manifest."""
EXIT_MANIFEST_MALFORMED = 65
"""The manifest is not a manifest this resolver can read (not JSON, wrong version, bad entry)."""
EXIT_MANIFEST_MISSING = 66
"""``MANIFEST_URI`` is not an ``s3://bucket/key`` URI, or no object is there (or it is denied)."""
EXIT_TRY_AGAIN = 75
"""S3 did not answer after botocore's retries (throttling, 5xx, network), reading the manifest or
the outcomes or writing the outcomes (the message says which): a new attempt can succeed. One code
for these, so the job definition needs one retry rule (AWS Batch allows 5 rules in all)."""
EXIT_NO_CONTRACT = 78
"""The environment holds neither the per-file contract nor ``MANIFEST_URI``."""
EXIT_COMMAND_NOT_EXECUTABLE = 126
"""Your command exists but cannot be executed (permissions, wrong format)."""
EXIT_COMMAND_NOT_FOUND = 127
"""Your command was not found (the shell's convention)."""

RETRYABLE_EXIT_CODES = (EXIT_TRY_AGAIN,)
"""Resolver exit codes the job definition's retry rules should retry: a new attempt of the child
skips the files that already have an outcome."""
FINAL_EXIT_CODES = (
    EXIT_USAGE,
    EXIT_FILES_FAILED,
    EXIT_BAD_INDEX,
    EXIT_MANIFEST_MALFORMED,
    EXIT_MANIFEST_MISSING,
    EXIT_NO_CONTRACT,
    EXIT_COMMAND_NOT_EXECUTABLE,
    EXIT_COMMAND_NOT_FOUND,
)
"""Resolver exit codes that a retry cannot fix: the job definition must not retry them."""
