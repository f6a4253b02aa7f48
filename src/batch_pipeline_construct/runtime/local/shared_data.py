"""Shared data in a local run: a folder of this machine where the jobs mount their EFS volume.

A pipeline with ``shared_data`` mounts an Amazon EFS file system into every job; locally the
user names a folder (``--shared-data DIR``) and each job container gets it at the same path,
read-only when the pipeline's mount is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assembly import Pipeline
from .errors import LocalRunError


@dataclass(frozen=True)
class Mount:
    """A folder of this machine mounted into every job container."""

    source: Path
    """The folder on this machine."""
    target: str
    """Where the container sees it (the pipeline's ``SHARED_DATA_DIR``)."""
    read_only: bool
    """Whether the container may only read it."""


def _efs_mount_points(definition: dict[str, Any]) -> list[dict[str, Any]]:
    container = definition.get("Properties", {}).get("ContainerProperties", {})
    efs_volumes = {
        volume["Name"]
        for volume in container.get("Volumes", [])
        if "EfsVolumeConfiguration" in volume
    }
    return [
        point for point in container.get("MountPoints", []) if point["SourceVolume"] in efs_volumes
    ]


def shared_data_mount(pipeline: Pipeline, folder: Path | None) -> Mount | None:
    """The mount that stands in for the pipeline's shared data: ``folder`` at the jobs' mount
    path. One line (:class:`LocalRunError`) when the pipeline needs a folder and none is given,
    when one is given that the pipeline does not use, or when it is not a folder."""
    points = [
        point
        for resource in pipeline.resources.values()
        if resource.get("Type") == "AWS::Batch::JobDefinition"
        for point in _efs_mount_points(resource)
    ]
    if not points:
        if folder is not None:
            raise LocalRunError(
                f"--shared-data {folder}: pipeline {pipeline.name} mounts no shared data"
            )
        return None
    point = points[0]
    if folder is None:
        raise LocalRunError(
            f"pipeline {pipeline.name} mounts shared data (Amazon EFS) at "
            f"{point['ContainerPath']}; pass --shared-data DIR to mount a folder there"
        )
    if not folder.is_dir():
        raise LocalRunError(f"--shared-data {folder} is not a folder")
    return Mount(folder.resolve(), point["ContainerPath"], bool(point.get("ReadOnly", False)))
