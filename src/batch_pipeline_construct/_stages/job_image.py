"""The job image's build context: the user's folder plus the job resolver, staged together.

The resolver an image runs must come from a source the user controls and match the construct
that submits its jobs, so the construct ships it into the build context itself: a copy of the
user's folder with the job-side runtime (:mod:`..runtime.job`, standard library and boto3 only)
added as the folder :data:`JOB_PACKAGE`. A Dockerfile takes it with one line::

    COPY batch_pipeline_job/ /opt/batch-pipeline/batch_pipeline_job/

The copy is kept under the system's temporary folder, named by what it holds (every file's
path, size and modification time, and the resolver's own bytes), so repeated synths reuse it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import PipelineConfigurationError
from ..runtime import job as job_runtime

JOB_PACKAGE = "batch_pipeline_job"
"""The folder of the build context that holds the job resolver (an importable package)."""

EXCLUDED = ("cdk.out", ".git")
"""Folders of the user's build context that are never part of the image."""

_JOB_SOURCES = Path(job_runtime.__file__).parent


def _job_sources() -> list[Path]:
    return sorted(_JOB_SOURCES.glob("*.py"))


def _fingerprint(context: Path) -> str:
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(context):
        subfolders[:] = sorted(name for name in subfolders if name not in EXCLUDED)
        for name in sorted(files):
            path = Path(folder, name)
            stat = path.lstat()
            digest.update(
                f"{path.relative_to(context)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode()
            )
    for source in _job_sources():
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:32]


def staged_build_context(context: Path, *, prop: str = "dockerfile_path") -> Path:
    """A build context holding ``context``'s files and the job resolver as :data:`JOB_PACKAGE`."""
    if (context / JOB_PACKAGE).exists():
        raise PipelineConfigurationError(
            prop,
            str(context),
            f"a build context without an entry named {JOB_PACKAGE}: the pipeline stages its job "
            "resolver under that name",
        )
    staged = Path(
        tempfile.gettempdir(), "batch-pipeline-construct", "build-contexts", _fingerprint(context)
    )
    if staged.is_dir():
        return staged
    partial = staged.with_name(f"{staged.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(context, partial, symlinks=True, ignore=shutil.ignore_patterns(*EXCLUDED))
    (partial / JOB_PACKAGE).mkdir()
    for source in _job_sources():
        shutil.copy2(source, partial / JOB_PACKAGE / source.name)
    try:
        partial.rename(staged)
    except OSError:
        # Another synth staged the same content first; its copy is as good as ours.
        shutil.rmtree(partial, ignore_errors=True)
    return staged
