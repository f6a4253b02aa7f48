"""The Docker CLI: building the assembly's image assets and running job containers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from .assembly import ImageAsset
from .errors import LocalRunError
from .shared_data import Mount


def docker_command() -> str:
    """The Docker CLI, as the CDK finds it (``CDK_DOCKER``, else ``docker``), checked to answer."""
    name = os.environ.get("CDK_DOCKER", "docker")
    path = shutil.which(name)
    if path is None:
        raise LocalRunError(
            f"Docker is required to run the job images locally and `{name}` is not on PATH; "
            "install Docker (or set CDK_DOCKER)"
        )
    done = subprocess.run([path, "info"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LocalRunError(
            f"Docker is installed but its daemon does not answer; start Docker ({path} info failed)"
        )
    return path


def build(docker: str, asset: ImageAsset, tag: str) -> None:
    """Build ``asset`` as the deploy would, tagged ``tag``; the host network reaches package indexes."""
    command = [
        docker,
        "build",
        "--network",
        "host",
        "--tag",
        tag,
        "--file",
        str(asset.directory / asset.dockerfile),
    ]
    if asset.platform:
        command += ["--platform", asset.platform]
    if asset.target:
        command += ["--target", asset.target]
    for name, value in sorted(asset.build_args.items()):
        command += ["--build-arg", f"{name}={value}"]
    done = subprocess.run(
        [*command, str(asset.directory)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        # Docker prints its progress on stdout and the error on stderr: the reason is stderr's.
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        progress = [line for line in done.stdout.splitlines() if line.strip()]
        lines = errors or progress
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise LocalRunError(f"the job image in {asset.directory} does not build: {reason}")


@dataclass(frozen=True)
class Finished:
    """A container that ran to its end."""

    exit_code: int
    log: str


def run(
    docker: str,
    image: str,
    command: Sequence[str],
    environment: dict[str, str],
    *,
    vcpus: float | None,
    memory_mib: int | None,
    name: str,
    disk_mib: int | None = None,
    mount: Mount | None = None,
) -> Finished:
    """Run ``image`` to its end on the host network (the emulator listens on 127.0.0.1).

    With ``disk_mib`` the container's root file system is read-only and its only writable place
    is ``/tmp``, ``disk_mib`` MiB in size (a ``tmpfs``), so a job that writes more fails there
    as it would on a full disk. ``mount`` is a folder of this machine the container sees.
    """
    arguments = [docker, "run", "--rm", "--name", name, "--network", "host"]
    if vcpus:
        arguments += ["--cpus", str(vcpus)]
    if memory_mib:
        arguments += ["--memory", f"{memory_mib}m"]
    if disk_mib:
        arguments += ["--read-only", "--tmpfs", f"/tmp:rw,mode=1777,size={disk_mib}m"]
    if mount is not None:
        suffix = ":ro" if mount.read_only else ""
        arguments += ["--volume", f"{mount.source}:{mount.target}{suffix}"]
    for key, value in environment.items():
        arguments += ["--env", f"{key}={value}"]
    done = subprocess.run(
        [*arguments, image, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    return Finished(exit_code=done.returncode, log=done.stdout)
