"""Option groups of ``BatchFilePipeline``: frozen dataclasses, validated when the construct is built.

Each field is documented by the string that follows it; that text, with the default, is what
API.md shows. Every check raises :class:`PipelineConfigurationError` naming the prop, the
value and what AWS allows, so a mistake surfaces at ``cdk synth`` instead of mid-deploy.
"""

from __future__ import annotations

import enum
import math
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Literal

from aws_cdk import Duration, Size, SizeRoundingBehavior, aws_ec2, aws_efs, aws_kms, aws_s3, aws_sns

from ._instance_capacity import known_capacities
from ._prop_types import checks_fields_given
from .errors import PipelineConfigurationError
from .runtime import settings, sizing
from .runtime.job import manifest
from .runtime.job.contract import CONTRACT_VARIABLES, MANIFEST_URI
from .runtime.records import config as records_config


class ComputeType(enum.Enum):
    """Where AWS Batch runs the jobs."""

    FARGATE = "FARGATE"
    """Serverless containers: nothing to manage, billed per second while a job runs."""

    EC2 = "EC2"
    """A managed EC2 compute environment: any instance type, GPUs, larger jobs."""


_INSTANCE_FAMILY = re.compile(r"^([a-z-]+?)(\d+)([a-z-]*)")


def _is_graviton(instance_type: str) -> bool:
    """Whether an EC2 type or family (``"c7g.large"``, ``"m6gd"``, ``"a1"``) is Graviton (arm64).

    Graviton families carry a ``g`` right after the generation (``c7g``, ``x2gd``, ``is4gen``,
    ``g5g``); ``a1`` is the first Graviton.
    """
    match = _INSTANCE_FAMILY.match(instance_type.split(".")[0])
    if match is None:
        return False
    letters, _, suffix = match.groups()
    return suffix.startswith("g") or letters == "a"


class EmailNotifications(enum.Enum):
    """What the addresses in ``NotificationOptions.emails`` receive from the completion topic.

    The topic itself carries every message; this chooses, with an SNS filter policy on the
    message body, which of them are e-mailed. Alarms are e-mailed in every choice.
    """

    FAILURES_AND_SUMMARIES = "FAILURES_AND_SUMMARIES"
    """Each job that FAILED (its file and the reason), each run's summary, cost guard messages
    and alarms; no e-mail per success. In bulk mode each failed file is one e-mail."""

    SUMMARIES = "SUMMARIES"
    """Run summaries (which list failed files), cost guard messages and alarms: a few e-mails
    however many files fail."""

    EVERY_JOB = "EVERY_JOB"
    """Every message, including one per job that SUCCEEDED: one e-mail per file."""


@checks_fields_given
@dataclass(frozen=True)
class ComputeOptions:
    """The compute environment the job queue runs on. It always scales down to zero."""

    type: ComputeType = ComputeType.FARGATE
    """Fargate or managed EC2. Default: Fargate."""

    spot: bool = False
    """Run on Spot capacity (cheaper, can be reclaimed; reclaimed jobs are retried). Default: off."""

    max_vcpus: int = 256
    """Upper bound of vCPUs the environment scales to (1..10,000). Default: 256."""

    instance_types: Sequence[str] = ()
    """EC2 only: instance types such as ``"g5.xlarge"`` or families such as ``"c7i"``.
    Default: Batch's ``optimal`` types; the GPU family ``g5`` when the job asks for GPUs; the
    Graviton families ``c7g``, ``m7g``, ``r7g``, ``c6g``, ``m6g`` and ``r6g`` with ``arm64``."""

    arm64: bool = False
    """Build the image for and run on Arm64 (Graviton) instead of x86-64; not with GPUs, whose
    NVIDIA image is x86-64 only, nor on Fargate Spot, which is x86-64 only. Default: x86-64."""

    subnets: aws_ec2.SubnetSelection | None = None
    """Subnets of the ``vpc`` you pass, for the jobs. Default: the VPC's private subnets with
    egress if it has them, else public."""

    root_volume_size: Size | None = None
    """EC2 only: size of each instance's root volume (30..16,384 GiB), where the images and the
    jobs' files live; an encrypted gp3 volume set through a launch template that also requires
    IMDSv2. Default: the ECS-optimized AMI's 30 GiB."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for values AWS Batch would reject."""
        if not 1 <= self.max_vcpus <= 10_000:
            raise PipelineConfigurationError(
                "compute.max_vcpus", self.max_vcpus, "use a whole number from 1 to 10000"
            )
        self._validate_root_volume()
        if self.type is ComputeType.FARGATE and self.instance_types:
            raise PipelineConfigurationError(
                "compute.instance_types",
                tuple(self.instance_types),
                "instance types apply to ComputeType.EC2 only; leave them out for Fargate",
            )
        if self.type is ComputeType.FARGATE and self.spot and self.arm64:
            raise PipelineConfigurationError(
                "compute.spot",
                self.spot,
                "Fargate Spot runs x86-64 only; for Graviton on Spot use "
                "ComputeOptions(type=ComputeType.EC2, spot=True, arm64=True)",
            )
        for instance_type in self.instance_types:
            if _is_graviton(instance_type) != self.arm64:
                cpu = "Graviton (arm64)" if _is_graviton(instance_type) else "x86-64"
                raise PipelineConfigurationError(
                    "compute.instance_types",
                    instance_type,
                    f"a {cpu} type, while the image is built for "
                    f"{'arm64' if self.arm64 else 'x86-64'}: set arm64={not self.arm64} or "
                    "choose types of one architecture (Graviton families end in g, e.g. 'c7g')",
                )
            if not instance_type or " " in instance_type or instance_type != instance_type.lower():
                raise PipelineConfigurationError(
                    "compute.instance_types",
                    instance_type,
                    "each entry is an EC2 type or family in lower case, e.g. 'c7i.large' or 'g5'",
                )

    def _validate_root_volume(self) -> None:
        if self.root_volume_size is None:
            return
        gib = _whole(self.root_volume_size, "compute.root_volume_size", "GiB")
        if self.type is ComputeType.FARGATE:
            raise PipelineConfigurationError(
                "compute.root_volume_size",
                self.root_volume_size,
                "applies to ComputeType.EC2 only; on Fargate use JobOptions.ephemeral_storage",
            )
        low, high = ROOT_VOLUME_GIB_RANGE
        if not low <= gib <= high:
            raise PipelineConfigurationError(
                "compute.root_volume_size",
                self.root_volume_size,
                f"{low} to {high} GiB: the ECS-optimized AMIs' root volume is {low} GiB and "
                f"a gp3 volume holds at most {high} GiB",
            )


ROOT_VOLUME_GIB_RANGE = (30, 16_384)
"""GiB an EC2 root volume may have: the ECS-optimized AMIs' own size up to gp3's largest."""
FARGATE_EPHEMERAL_STORAGE_GIB_RANGE = (21, 200)
"""GiB of task storage Fargate allows beyond its free 20 GiB (``JobOptions.ephemeral_storage``)."""


STUCK_TIMEOUT_RANGE = (600, 86_400)
"""Seconds AWS Batch allows for a job queue's state-time-limit action."""

# Fargate's supported (vCPU -> memory in MiB) combinations, as AWS Batch documents them.
_FARGATE_MEMORY_MIB: dict[float, tuple[int, ...]] = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1.0: tuple(range(2048, 8192 + 1, 1024)),
    2.0: tuple(range(4096, 16384 + 1, 1024)),
    4.0: tuple(range(8192, 30720 + 1, 1024)),
    8.0: tuple(range(16384, 61440 + 1, 4096)),
    16.0: tuple(range(32768, 122880 + 1, 8192)),
}


@checks_fields_given
@dataclass(frozen=True, kw_only=True)
class JobSize:
    """The resources of the jobs of input objects up to a size (a sizing class of ``JobOptions.sizes``).

    ``JobSize(up_to=Size.gibibytes(1), vcpus=1, memory=Size.gibibytes(2))``: an object of at
    most 1 GiB (inclusive) gets 1 vCPU and 2 GiB. The last class has no ``up_to``.
    """

    vcpus: float
    """vCPUs of these jobs. On Fargate 0.25, 0.5, 1, 2, 4, 8 or 16, paired with ``memory`` as
    for ``JobOptions``; on EC2 at least 1."""

    memory: Size
    """Memory of these jobs (512 MiB at least)."""

    up_to: Size | None = None
    """The largest input object of this class, inclusive. Default: no bound (the last class)."""

    gpus: int | None = None
    """GPUs of these jobs, sent as SubmitJob's GPU override; EC2 only, and only when
    ``JobOptions.gpus`` is set (so the compute environment has GPU instances). At least 1 (0
    changes nothing without ``JobOptions.gpus``): AWS Batch documents the override as a number
    of GPUs to reserve, not as a way to take away the job definition's, so a class of a GPU job
    cannot go without. Default: no GPU override, so these jobs get the job definition's GPUs,
    ``JobOptions.gpus`` (none when that is 0)."""

    def validate(self, prop: str, job: JobOptions, compute: ComputeOptions) -> None:
        """Raise :class:`PipelineConfigurationError` (naming ``prop``, e.g. ``job.sizes[1]``)
        for resources the compute environment cannot give."""
        if self.vcpus <= 0:
            raise PipelineConfigurationError(f"{prop}.vcpus", self.vcpus, "use a positive number")
        memory_mib = _whole(self.memory, f"{prop}.memory", "MiB")
        if memory_mib < 512:
            raise PipelineConfigurationError(f"{prop}.memory", self.memory, "use at least 512 MiB")
        if self.up_to is not None and self.up_to.to_bytes() < 1:
            raise PipelineConfigurationError(f"{prop}.up_to", self.up_to, "use 1 byte or more")
        if self.gpus is not None and self.gpus < (1 if job.gpus else 0):
            raise PipelineConfigurationError(
                f"{prop}.gpus",
                self.gpus,
                "1 or more, or leave it out for job.gpus: AWS Batch overrides GPUs only with "
                "a number to reserve, so a class cannot take away the job definition's GPUs"
                if job.gpus
                else "0 or more",
            )
        if self.vcpus > compute.max_vcpus:
            raise PipelineConfigurationError(
                f"{prop}.vcpus",
                self.vcpus,
                f"at most compute.max_vcpus ({compute.max_vcpus}): a larger job never starts",
            )
        if compute.type is ComputeType.FARGATE:
            if self.gpus:
                raise PipelineConfigurationError(
                    f"{prop}.gpus", self.gpus, "Fargate has no GPUs; leave gpus out"
                )
            _check_fargate_pair(prop, self.vcpus, self.memory)
            return
        if self.vcpus < 1:
            raise PipelineConfigurationError(
                f"{prop}.vcpus",
                self.vcpus,
                "at least 1 on EC2: AWS Batch refuses a fraction of a vCPU there (Fargate only)",
            )
        if self.gpus and not job.gpus:
            raise PipelineConfigurationError(
                f"{prop}.gpus",
                self.gpus,
                "0, or set job.gpus too: only then does the compute environment get GPU "
                "instances and the NVIDIA image",
            )
        capacities = known_capacities(compute.instance_types)
        if capacities is not None and not any(c.holds(self.vcpus, memory_mib) for c in capacities):
            largest = ", ".join(
                f"{c.instance_type} ({c.vcpus} vCPU"
                + ("" if c.memory_mib is None else f", {c.memory_mib} MiB")
                + ")"
                for c in capacities
            )
            raise PipelineConfigurationError(
                prop,
                f"{self.vcpus:g} vCPU, {memory_mib:g} MiB",
                f"a job no instance type of compute.instance_types can hold: {largest}; a job "
                "gets less than all of an instance's memory (the instance keeps some for "
                "itself); use a smaller class or a larger instance type",
            )

    def to_runtime(self) -> sizing.SizeClass:
        """The class as the arrival function reads it."""
        return sizing.SizeClass(
            vcpus=self.vcpus,
            memory_mib=int(self.memory.to_mebibytes()),
            up_to_bytes=None if self.up_to is None else int(self.up_to.to_bytes()),
            gpus=self.gpus or 0,
        )


def _validate_sizes(sizes: Sequence[JobSize], job: JobOptions, compute: ComputeOptions) -> None:
    """Every class valid on ``compute``, bounds strictly ascending, exactly the last open-ended."""
    for index, job_size in enumerate(sizes):
        prop = f"job.sizes[{index}]"
        job_size.validate(prop, job, compute)
        last = index == len(sizes) - 1
        if last and job_size.up_to is not None:
            raise PipelineConfigurationError(
                f"{prop}.up_to",
                job_size.up_to,
                "no up_to: the last class takes every larger file (leave up_to out)",
            )
        if not last and job_size.up_to is None:
            raise PipelineConfigurationError(
                f"{prop}.up_to",
                None,
                "a size: only the last class is open-ended (classes go from small to large)",
            )
        previous = sizes[index - 1].up_to if index else None
        if job_size.up_to is not None and previous is not None:
            if job_size.up_to.to_bytes() <= previous.to_bytes():
                raise PipelineConfigurationError(
                    f"{prop}.up_to",
                    job_size.up_to,
                    f"more than job.sizes[{index - 1}].up_to ({_describe_bytes(previous)}): "
                    "classes go from small to large",
                )


def _describe_bytes(size: Size) -> str:
    count = int(size.to_bytes())
    for unit, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if count and count % unit == 0:
            return f"{count // unit:,} {name}"
    return f"{count:,} bytes"


@checks_fields_given
@dataclass(frozen=True)
class JobOptions:
    """What each job gets: resources, command, environment, time limit and retries."""

    vcpus: float = 1
    """vCPUs per job. Fargate allows 0.25, 0.5, 1, 2, 4, 8 or 16. Default: 1."""

    memory: Size = field(default_factory=lambda: Size.gibibytes(2))
    """Memory per job. On Fargate it must pair with ``vcpus`` as AWS documents. Default: 2 GiB."""

    gpus: int = 0
    """GPUs per job; EC2 compute on x86-64 only, with the Amazon Linux 2023 NVIDIA image. Default: 0."""

    command: Sequence[str] | None = None
    """Command that overrides the image's CMD. Default: the image's own CMD/ENTRYPOINT."""

    environment: Mapping[str, str] = field(default_factory=dict)
    """Extra environment for every job, beside the job contract's variables. Default: none."""

    timeout: Duration = field(default_factory=lambda: Duration.hours(1))
    """Time after which Batch stops an attempt (60 seconds at least). Default: 1 hour."""

    retry_attempts: int = 3
    """Attempts per job (1..10). Only infrastructure failures (Spot reclaim, host or image pull
    errors) are retried; a non-zero exit of your code is not. Default: 3."""

    ephemeral_storage: Size | None = None
    """Fargate only: task storage, 21..200 GiB, in every mode (one job definition serves them
    all); on EC2 use ``ComputeOptions.root_volume_size``. Default: Fargate's 20 GiB."""

    sizes: Sequence[JobSize] = ()
    """Sizing classes: each file's job gets the resources of the first class whose ``up_to``
    its input object does not exceed (inclusive), through SubmitJob's resource overrides; in
    bulk mode the files of each class share their own array jobs (``mode.packing`` applies to
    every class alike: set its ``parallelism`` for the classes' vCPUs). Bounds ascend; the last
    class has no ``up_to``. Each is checked at synth like ``vcpus``/``memory`` (Fargate's pairs;
    on EC2 the largest of ``instance_types`` when their names tell their size: ``c``, ``m`` and
    ``r`` families of the fifth generation on hold 2, 4 and 8 GiB per vCPU, less what the
    instance keeps for itself; with ``optimal`` or families only the vCPUs are checked, against
    ``compute.max_vcpus``). ``vcpus``/``memory`` above stay the job
    definition's, for a file whose size is unknown. Default: none, every job gets ``vcpus``
    and ``memory``."""

    stuck_timeout: Duration | None = field(default_factory=lambda: Duration.minutes(30))
    """How long a job may wait RUNNABLE for a reason that does not pass by itself (no instance
    capacity, or a vCPU, memory or GPU request the compute environment cannot meet) before AWS
    Batch cancels it; it is then reported FAILED with that reason. 10 minutes to 24 hours, or
    None to let such a job wait forever. Default: 30 minutes."""

    def validate(self, compute: ComputeOptions) -> None:
        """Raise :class:`PipelineConfigurationError` for values AWS Batch would reject."""
        if self.vcpus <= 0:
            raise PipelineConfigurationError("job.vcpus", self.vcpus, "use a positive number")
        memory_mib = _whole(self.memory, "job.memory", "MiB")
        storage_gib = (
            None
            if self.ephemeral_storage is None
            else _whole(self.ephemeral_storage, "job.ephemeral_storage", "GiB")
        )
        if memory_mib < 512:
            raise PipelineConfigurationError("job.memory", self.memory, "use at least 512 MiB")
        if self.gpus < 0:
            raise PipelineConfigurationError("job.gpus", self.gpus, "use 0 or more")
        if self.gpus and compute.arm64:
            raise PipelineConfigurationError(
                "compute.arm64",
                compute.arm64,
                "False when job.gpus is set: AWS Batch's NVIDIA image (Amazon Linux 2023 NVIDIA) "
                "runs on x86-64 GPU instances only",
            )
        timeout_seconds = self.timeout.to_seconds()
        if timeout_seconds < 60:
            raise PipelineConfigurationError(
                "job.timeout", self.timeout, "AWS Batch needs at least 60 seconds"
            )
        if self.stuck_timeout is not None and not (
            STUCK_TIMEOUT_RANGE[0] <= self.stuck_timeout.to_seconds() <= STUCK_TIMEOUT_RANGE[1]
        ):
            raise PipelineConfigurationError(
                "job.stuck_timeout",
                self.stuck_timeout,
                "AWS Batch cancels stuck jobs after 600 to 86400 seconds (10 minutes to 24 hours); "
                "use None to never cancel them",
            )
        if not 1 <= self.retry_attempts <= 10:
            raise PipelineConfigurationError(
                "job.retry_attempts", self.retry_attempts, "AWS Batch allows 1 to 10 attempts"
            )
        reserved = sorted(set(self.environment) & _RESERVED_ENVIRONMENT)
        if reserved:
            raise PipelineConfigurationError(
                "job.environment",
                reserved,
                "these names belong to the job contract and are set per job; choose other names",
            )
        if self.command is not None and not list(self.command):
            raise PipelineConfigurationError(
                "job.command", list(self.command), "give at least one word, or None"
            )
        _validate_sizes(self.sizes, self, compute)
        if compute.type is ComputeType.FARGATE:
            self._validate_fargate(storage_gib)
        elif storage_gib is not None:
            raise PipelineConfigurationError(
                "job.ephemeral_storage",
                self.ephemeral_storage,
                "applies to Fargate only; on EC2 use ComputeOptions.root_volume_size",
            )

    def _validate_fargate(self, storage_gib: int | None) -> None:
        if self.gpus:
            raise PipelineConfigurationError(
                "job.gpus",
                self.gpus,
                "Fargate has no GPUs; use ComputeOptions(type=ComputeType.EC2)",
            )
        _check_fargate_pair("job", self.vcpus, self.memory)
        low, high = FARGATE_EPHEMERAL_STORAGE_GIB_RANGE
        if storage_gib is not None and not low <= storage_gib <= high:
            raise PipelineConfigurationError(
                "job.ephemeral_storage",
                self.ephemeral_storage,
                f"Fargate allows {low} to {high} GiB",
            )


# Set per job by the arrival function (or the job resolver); a user's value would be overwritten.
_RESERVED_ENVIRONMENT = frozenset((*CONTRACT_VARIABLES, MANIFEST_URI))


def _whole(size: Size, prop: str, unit: Literal["GiB", "MiB"]) -> int:
    """``size`` in ``unit``, which AWS takes in whole numbers: a fraction is refused here, naming
    ``prop``, rather than by aws-cdk-lib's conversion in the middle of synth."""
    exact = (
        size.to_gibibytes(rounding=SizeRoundingBehavior.NONE)
        if unit == "GiB"
        else size.to_mebibytes(rounding=SizeRoundingBehavior.NONE)
    )
    if exact != int(exact):
        method = "gibibytes" if unit == "GiB" else "mebibytes"
        raise PipelineConfigurationError(
            prop, size, f"a whole number of {unit}, e.g. Size.{method}({math.ceil(exact)})"
        )
    return int(exact)


def _check_fargate_pair(prop: str, vcpus: float, memory: Size) -> None:
    """Raise for a vCPU/memory pair Fargate does not offer (``prop``: where they were given)."""
    memory_mib = memory.to_mebibytes(rounding=SizeRoundingBehavior.NONE)
    allowed_memory = _FARGATE_MEMORY_MIB.get(float(vcpus))
    if allowed_memory is None:
        raise PipelineConfigurationError(
            f"{prop}.vcpus",
            vcpus,
            "Fargate allows " + ", ".join(f"{v:g}" for v in _FARGATE_MEMORY_MIB),
        )
    if memory_mib not in allowed_memory:
        raise PipelineConfigurationError(
            f"{prop}.memory",
            memory,
            f"with {vcpus:g} vCPU Fargate allows {_describe_mib(allowed_memory)}",
        )


def _describe_mib(values: Sequence[int]) -> str:
    step = values[1] - values[0] if len(values) > 1 else 0
    if len(values) > 3 and all(b - a == step for a, b in pairwise(values)):
        return f"{values[0]} to {values[-1]} MiB in steps of {step} MiB"
    return ", ".join(str(v) for v in values) + " MiB"


DEFAULT_SHARED_DATA_MOUNT_PATH = "/mnt/shared"
"""Where shared data is mounted in the job container unless ``SharedDataOptions.mount_path`` says."""

# Folders of the image a mount must neither hide nor sit in: the system's, the job's scratch
# space and the job resolver's (see ``_stages/job_image.py``).
_RESERVED_MOUNT_PATHS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib64",
    "/opt/batch-pipeline",
    "/proc",
    "/sbin",
    "/sys",
    "/tmp",
    "/usr",
)


@checks_fields_given
@dataclass(frozen=True)
class SharedDataOptions:
    """An Amazon EFS file system mounted into every job: reference data (a genome index, a model,
    a lookup database) that every job reads and nobody wants to download ten thousand times.

    Jobs mount it through an access point (POSIX user and group 1000) with IAM authorization
    (the job role) and encryption in transit, on Fargate and EC2; the compute environment's
    security group is let in on NFS (2049). The mount path reaches every job as
    ``SHARED_DATA_DIR``.
    """

    file_system: aws_efs.IFileSystem | None = None
    """Your file system, in the ``vpc`` you pass the pipeline, imported with its security group
    (``aws_efs.FileSystem.from_file_system_attributes(..., security_group=...)``). Default: the
    pipeline creates one in its VPC: encrypted, elastic throughput, no automatic backups, kept or
    deleted with the stack as ``removal_policy`` says."""

    path: str = "/"
    """The directory of the file system jobs see (the access point's root); one that does not
    exist is created, owned by the jobs' user (1000) with mode 755. Default: the file system's
    root."""

    read_only: bool = True
    """Mount read-only, and grant the job role ``ClientMount`` only; ``False`` adds
    ``ClientWrite`` and a writable mount. Default: read-only."""

    mount_path: str = DEFAULT_SHARED_DATA_MOUNT_PATH
    """Where the file system appears in the job container (``SHARED_DATA_DIR``): absolute, not
    ``/``, outside the system's folders, ``/tmp`` and ``/opt/batch-pipeline``. Default:
    ``/mnt/shared``."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for paths or a file system jobs cannot mount."""
        for name in ("path", "mount_path"):
            value = getattr(self, name)
            if not value.startswith("/") or posixpath.normpath(value) != value or "//" in value:
                raise PipelineConfigurationError(
                    f"shared_data.{name}",
                    value,
                    "an absolute path without '.', '..' or a trailing '/', e.g. '/reference'",
                )
        clash = [
            reserved
            for reserved in _RESERVED_MOUNT_PATHS
            if _within(self.mount_path, reserved) or _within(reserved, self.mount_path)
        ]
        if self.mount_path == "/" or clash:
            raise PipelineConfigurationError(
                "shared_data.mount_path",
                self.mount_path,
                "a folder of its own, such as '/mnt/shared'; not '/' and neither inside nor "
                "around " + ", ".join(_RESERVED_MOUNT_PATHS),
            )
        if self.file_system is None and not self.read_only and self.path == "/":
            raise PipelineConfigurationError(
                "shared_data.path",
                self.path,
                "a directory such as '/data' when read_only=False: the new file system's root "
                "belongs to root, and the directory is created writable for the jobs' user",
            )
        if self.file_system is not None and not _has_security_group(self.file_system):
            raise PipelineConfigurationError(
                "shared_data.file_system",
                self.file_system,
                "a file system with its security group, so jobs can be let in on NFS: import it "
                "with aws_efs.FileSystem.from_file_system_attributes(..., security_group=...)",
            )


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _has_security_group(file_system: aws_efs.IFileSystem) -> bool:
    connections = getattr(file_system, "connections", None)
    return connections is not None and bool(connections.security_groups)


@checks_fields_given
@dataclass(frozen=True)
class TriggerOptions:
    """Which new objects in the input bucket start a job."""

    prefix: str | None = None
    """Only keys that start with this, e.g. ``"incoming/"`` (no leading ``/``). Default: any key."""

    suffixes: Sequence[str] = ()
    """Only keys that end with one of these, e.g. ``(".csv", ".csv.gz")``. Default: any ending."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for filters S3 would never match."""
        if self.prefix is not None and (not self.prefix or self.prefix.startswith("/")):
            raise PipelineConfigurationError(
                "trigger.prefix",
                self.prefix,
                "S3 keys have no leading '/'; write 'incoming/' rather than '/incoming/', or None",
            )
        if any(not suffix for suffix in self.suffixes) or len(set(self.suffixes)) != len(
            self.suffixes
        ):
            raise PipelineConfigurationError(
                "trigger.suffixes", tuple(self.suffixes), "suffixes must be non-empty and distinct"
            )
        for shorter, longer in combinations(sorted(self.suffixes, key=len), 2):
            if longer.endswith(shorter):
                raise PipelineConfigurationError(
                    "trigger.suffixes",
                    tuple(self.suffixes),
                    f"suffixes that do not overlap: S3 rejects the notification configuration "
                    f"because {longer!r} ends with {shorter!r}; keep {shorter!r}, which matches both",
                )

    def key_filters(self) -> list[tuple[str, str]]:
        """The (prefix, suffix) filter of each S3 notification: one per suffix ('' matches any)."""
        return [(self.prefix or "", suffix) for suffix in self.suffixes or ("",)]


def key_filters_overlap(first: tuple[str, str], second: tuple[str, str]) -> bool:
    """Whether two (prefix, suffix) filters of one event type overlap, which S3 rejects.

    S3's rule: they overlap when one key could match both, that is when one prefix starts with
    the other and one suffix ends with the other (an empty prefix or suffix matches every key).
    """
    (prefix_a, suffix_a), (prefix_b, suffix_b) = first, second
    prefixes_overlap = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
    suffixes_overlap = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
    return prefixes_overlap and suffixes_overlap


@checks_fields_given
@dataclass(frozen=True)
class BucketOptions:
    """How the pipeline's own buckets are made (ignored for buckets you pass in)."""

    encryption_key: aws_kms.IKey | None = None
    """Encrypt the buckets with this KMS key instead of S3-managed keys. Default: S3-managed (SSE-S3)."""

    versioned_input: bool = True
    """Keep object versions in the input bucket (each upload is one job). Default: on."""

    access_logs_bucket: aws_s3.IBucket | None = None
    """Where S3 server access logs go. Default: a log bucket the pipeline creates."""

    access_logs_retention: Duration = field(default_factory=lambda: Duration.days(365))
    """How long server access logs are kept in the pipeline's log bucket. Default: 365 days."""


@checks_fields_given
@dataclass(frozen=True)
class ArrivalOptions:
    """The arrival queue and the per-file record, in either mode (per-file or bulk)."""

    max_receive_count: int = 5
    """Deliveries of a message before it moves to the dead-letter queue (1..1,000). Default: 5."""

    file_records: bool = True
    """Keep the per-file record: one item per object version in an on-demand DynamoDB table
    (``BatchFilePipeline.file_records``), which also suppresses duplicate deliveries. Default: on."""

    file_records_ttl: Duration | None = None
    """Removed: the per-file record has one retention, ``RecordOptions.retention`` (the
    ``records`` prop); setting this is an error that says so. Default: unset."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for values SQS would reject."""
        if not 1 <= self.max_receive_count <= 1000:
            raise PipelineConfigurationError(
                "arrival.max_receive_count", self.max_receive_count, "use 1 to 1000"
            )
        if self.file_records_ttl is not None:
            raise PipelineConfigurationError(
                "arrival.file_records_ttl",
                self.file_records_ttl,
                "leave it unset and pass records=RecordOptions(retention=...): the per-file"
                " record table has one retention, which also bounds deduplication",
            )


@checks_fields_given
@dataclass(frozen=True)
class PackingOptions:
    """Bulk mode: how many files one container (one array child) processes, and how.

    A child runs your command once per file of its share with the per-file job contract, so a
    container written for one file needs no change; see ``runtime.job.exit_codes`` for what its
    exit code means (0 done, 3 do not retry, anything else retried in the container).
    """

    files_per_child: int | None = None
    """The most files a child processes: its share while more than the compute environment's
    capacity waits; fewer as a burst runs out (so its last children end together), never more.
    1 gives one container per file. Default: about 5 minutes of work (the top of AWS Batch's
    advice of 3 to 5, the fewest image pulls per file) at ``expected_time_per_file`` and
    ``parallelism``: 300 files of one second, one at a time."""

    expected_time_per_file: Duration = field(
        default_factory=lambda: Duration.seconds(manifest.DEFAULT_EXPECTED_SECONDS_PER_FILE)
    )
    """How long your command takes for one file; sizes ``files_per_child``. Default: 1 second."""

    parallelism: int | None = None
    """Files a child processes side by side. Default: the job's GPUs when it has any (files
    would share one GPU's memory otherwise), else its vCPUs (at least 1)."""

    min_children: int = manifest.DEFAULT_MIN_CHILDREN
    """A batch is spread over at least this many children (2..10,000; never more children than
    files). A batch with nothing queued behind it is spread further, over as many children as
    ``compute.max_vcpus`` runs at once, so a small drop finishes as fast as in per-file mode.
    Default: 20."""

    max_file_attempts: int = manifest.DEFAULT_MAX_FILE_ATTEMPTS
    """Runs of your command per file inside the container before the file is recorded as
    failed (1..10). Default: 3."""

    def settings_for(
        self, job: JobOptions, compute: ComputeOptions | None = None
    ) -> manifest.PackingSettings:
        """The packing the arrival function writes into each manifest, for jobs like ``job``
        on ``compute`` (whose ``max_vcpus`` say how many children run at once)."""
        compute = compute or ComputeOptions()
        parallelism = self.parallelism or job.gpus or max(1, int(job.vcpus))
        files_per_child = self.files_per_child or manifest.files_per_child_for(
            self.expected_time_per_file.to_seconds(), parallelism
        )
        return manifest.PackingSettings(
            files_per_child=files_per_child,
            min_children=self.min_children,
            parallelism=parallelism,
            max_file_attempts=self.max_file_attempts,
            capacity=max(
                self.min_children,
                min(settings.MAX_ARRAY_SIZE, int(compute.max_vcpus // job.vcpus)),
            ),
        )

    def validate(self, job: JobOptions) -> None:
        """Raise :class:`PipelineConfigurationError` for packing that cannot work for ``job``."""
        for name in ("files_per_child", "parallelism"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise PipelineConfigurationError(
                    f"mode.packing.{name}", value, "use 1 or more, or None for the default"
                )
        if self.expected_time_per_file.to_seconds() <= 0:
            raise PipelineConfigurationError(
                "mode.packing.expected_time_per_file",
                self.expected_time_per_file,
                "use a positive duration, e.g. Duration.seconds(30)",
            )
        if not settings.MIN_ARRAY_SIZE <= self.min_children <= settings.MAX_ARRAY_SIZE:
            raise PipelineConfigurationError(
                "mode.packing.min_children",
                self.min_children,
                f"use {settings.MIN_ARRAY_SIZE} to {settings.MAX_ARRAY_SIZE}",
            )
        if not 1 <= self.max_file_attempts <= 10:
            raise PipelineConfigurationError(
                "mode.packing.max_file_attempts", self.max_file_attempts, "use 1 to 10"
            )
        packing = self.settings_for(job)
        child_seconds = (
            packing.files_per_child * self.expected_time_per_file.to_seconds() / packing.parallelism
        )
        if child_seconds > job.timeout.to_seconds():
            raise PipelineConfigurationError(
                "mode.packing.files_per_child",
                packing.files_per_child,
                f"a child would work about {child_seconds:,.0f} s, longer than job.timeout "
                f"({job.timeout.to_seconds():,.0f} s): use fewer files per child or a longer "
                "job.timeout",
            )


@checks_fields_given
@dataclass(frozen=True)
class PerFileOptions:
    """Per-file mode (the default): the arrival function submits one AWS Batch job per file."""

    batch_size: int = 10
    """Messages per Lambda invocation (1..10,000; above 10 needs ``max_batching_window``). Default: 10."""

    max_batching_window: Duration = field(default_factory=lambda: Duration.seconds(0))
    """How long the event source gathers messages before invoking (0..300 s). Default: 0."""

    max_concurrency: int = 9
    """Most concurrent arrival invocations (2..1,000). Default: 9, the fewest that keep SubmitJob
    at 95% of its 50 calls/s quota when AWS answers twice as slowly as usual (``python -m
    benchmarks.arrival``); when it answers faster, SubmitJob throttles the excess and the function
    backs off."""

    function_timeout: Duration = field(default_factory=lambda: Duration.minutes(1))
    """Arrival function timeout (the queue's visibility timeout is six times this). Default: 1 minute."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for values Lambda or SQS would reject."""
        window = self.max_batching_window.to_seconds()
        if not 1 <= self.batch_size <= 10_000:
            raise PipelineConfigurationError("mode.batch_size", self.batch_size, "use 1 to 10000")
        if not 0 <= window <= 300:
            raise PipelineConfigurationError(
                "mode.max_batching_window", self.max_batching_window, "use 0 to 300 seconds"
            )
        if self.batch_size > 10 and window < 1:
            raise PipelineConfigurationError(
                "mode.batch_size",
                self.batch_size,
                "above 10 messages Lambda needs mode.max_batching_window of at least 1 second",
            )
        _validate_concurrency(self.max_concurrency)
        _validate_function_timeout(self.function_timeout)


@checks_fields_given
@dataclass(frozen=True)
class BulkOptions:
    """Bulk mode: files arriving together are submitted as one AWS Batch array job.

    The arrival function writes a manifest of the keys to the output bucket and submits one
    array job per manifest; each child resolves its own file (see ``runtime.job.resolver``).
    """

    max_files_per_job: int = settings.MAX_ARRAY_SIZE
    """Most files in one array job (2..10,000, Batch's array size limit). It is also the event
    source's batch size: a batch never holds more files than one array job takes. Default: 10,000."""

    batching_window: Duration = field(default_factory=lambda: Duration.seconds(1))
    """How long Lambda gathers messages before it invokes the arrival function (1..300 s; Lambda
    needs at least 1 s for batches above 10). The function then takes what else the queue holds,
    so a lone file starts its job within seconds and a burst still becomes few array jobs; a
    longer window only trades latency for larger jobs while files trickle in. Default: 1 s."""

    manifest_prefix: str = settings.DEFAULT_MANIFEST_PREFIX
    """Where manifests are written in the output bucket. Default: ``_manifests/``."""

    max_concurrency: int = 20
    """Most concurrent arrival invocations in bulk mode (2..1,000). Each makes one SubmitJob call
    per array job, so more of them cannot stampede the Batch API. Default: 20."""

    function_timeout: Duration = field(default_factory=lambda: Duration.minutes(5))
    """Arrival function timeout: time to top a batch up to thousands of files (the queue's
    visibility timeout is six times this). Default: 5 minutes."""

    packing: PackingOptions = field(default_factory=PackingOptions)
    """How many files each array child processes, side by side, with how many attempts.
    Default: at most about 5 minutes of work per child (see :class:`PackingOptions`)."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for values Batch or Lambda would reject."""
        if not settings.MIN_ARRAY_SIZE <= self.max_files_per_job <= settings.MAX_ARRAY_SIZE:
            raise PipelineConfigurationError(
                "mode.max_files_per_job",
                self.max_files_per_job,
                f"AWS Batch array jobs hold {settings.MIN_ARRAY_SIZE} to {settings.MAX_ARRAY_SIZE} children",
            )
        window = self.batching_window.to_seconds()
        if not 1 <= window <= 300:
            raise PipelineConfigurationError(
                "mode.batching_window", self.batching_window, "use 1 to 300 seconds"
            )
        _validate_concurrency(self.max_concurrency)
        _validate_function_timeout(self.function_timeout)
        if (
            not self.manifest_prefix
            or self.manifest_prefix.startswith("/")
            or not self.manifest_prefix.endswith("/")
        ):
            raise PipelineConfigurationError(
                "mode.manifest_prefix",
                self.manifest_prefix,
                f"a folder-like prefix such as {settings.DEFAULT_MANIFEST_PREFIX!r}",
            )


Mode = PerFileOptions | BulkOptions
"""How files become jobs: :class:`PerFileOptions` (one job per file) or :class:`BulkOptions`."""


def _validate_concurrency(max_concurrency: int) -> None:
    if not 2 <= max_concurrency <= 1000:
        raise PipelineConfigurationError("mode.max_concurrency", max_concurrency, "use 2 to 1000")


def _validate_function_timeout(timeout: Duration) -> None:
    seconds = timeout.to_seconds()
    if not 10 <= seconds <= 900:
        raise PipelineConfigurationError("mode.function_timeout", timeout, "use 10 to 900 seconds")


@checks_fields_given
@dataclass(frozen=True)
class NotificationOptions:
    """Who hears about finished jobs: e-mail subscriptions and the new topic's encryption."""

    emails: Sequence[str] = ()
    """E-mail addresses subscribed to the completion topic; each confirms by the link in the
    e-mail AWS sends, and receives nothing until then. Default: none."""

    email_filter: EmailNotifications = EmailNotifications.FAILURES_AND_SUMMARIES
    """What those addresses receive. Default: failed jobs, run summaries and alarms, no e-mail
    per success."""

    topic_encryption_key: aws_kms.IKey | None = None
    """Encrypt the topic the pipeline creates with this KMS key (not for a ``completion_topic``
    you pass). Default: no KMS (TLS-only topic)."""

    def validate(self, topic_given: bool) -> None:
        """Raise :class:`PipelineConfigurationError` for addresses or a key that cannot apply."""
        if topic_given and self.topic_encryption_key is not None:
            raise PipelineConfigurationError(
                "notifications.topic_encryption_key",
                self.topic_encryption_key,
                "applies only to the topic the pipeline creates, and completion_topic was given",
            )
        for address in self.emails:
            if not _EMAIL.match(address):
                raise PipelineConfigurationError(
                    "notifications.emails", address, "each entry is an e-mail address"
                )


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MIN_RECORD_RETENTION_SECONDS = 3600


@checks_fields_given
@dataclass(frozen=True)
class AlarmOptions:
    """CloudWatch alarms on the pipeline's health: dead letters, arrival errors, failed jobs."""

    enabled: bool = True
    """Create the alarms. Default: on."""

    topic: aws_sns.ITopic | None = None
    """Where alarms notify. Default: the completion topic."""

    failed_jobs_threshold: int = 1
    """Failed jobs within ``period`` that raise the failed-jobs alarm. Default: 1."""

    period: Duration = field(default_factory=lambda: Duration.minutes(5))
    """The alarms' evaluation period: whole minutes, 1 minute to 7 days (the metrics are
    reported each minute, and CloudWatch evaluates an alarm over at most 7 days). Default:
    5 minutes."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for a threshold below 1 or a period
        CloudWatch cannot evaluate."""
        if self.failed_jobs_threshold < 1:
            raise PipelineConfigurationError(
                "alarms.failed_jobs_threshold", self.failed_jobs_threshold, "use 1 or more"
            )
        seconds = self.period.to_seconds(integral=False)
        if seconds % 60 or not 60 <= seconds <= _MAX_ALARM_PERIOD_SECONDS:
            raise PipelineConfigurationError(
                "alarms.period",
                self.period,
                "whole minutes from 1 minute to 7 days: the pipeline's metrics (SQS, Lambda, "
                "EventBridge) are reported each minute, so a shorter period leaves the alarms "
                "without data, and CloudWatch refuses a period that is no multiple of 60 seconds",
            )


_MAX_ALARM_PERIOD_SECONDS = 7 * 86_400
"""CloudWatch's longest evaluation (period times evaluation periods; the alarms use one)."""


@checks_fields_given
@dataclass(frozen=True)
class CostGuardOptions:
    """A monthly budget for the pipeline's compute: when AWS Budgets forecasts the month's cost
    above ``forecast_threshold_percent`` of it, the pipeline stops taking new jobs (files wait in
    the arrival queue, nothing is lost) and the completion topic says so (``"kind": "cost-guard"``).
    Costs are counted by a cost allocation tag the construct applies (``batch-pipeline``), which
    must be activated in the Billing console."""

    monthly_budget_usd: float
    """The month's budget in US dollars."""

    forecast_threshold_percent: float = 100
    """Stop when the forecast passes this share of the budget (1..1,000 %). Default: 100 %."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for a budget AWS Budgets would reject."""
        if not self.monthly_budget_usd > 0:
            raise PipelineConfigurationError(
                "cost_guard.monthly_budget_usd", self.monthly_budget_usd, "use a positive amount"
            )
        if not 1 <= self.forecast_threshold_percent <= 1000:
            raise PipelineConfigurationError(
                "cost_guard.forecast_threshold_percent",
                self.forecast_threshold_percent,
                "use 1 to 1000 (percent of the budget)",
            )


@checks_fields_given
@dataclass(frozen=True)
class RecordOptions:
    """The per-file record (where each file stands, how its job ended) and run reports.

    Files whose jobs show up with no gap of ``run_quiet_period`` between them are one run; when
    a run's last file is final, a report of every file is written to the output bucket
    (``_runs/<run id>/report.csv``) and one ``run-summary`` message is published to the
    completion topic.
    """

    retention: Duration = field(
        default_factory=lambda: Duration.days(records_config.DEFAULT_RETENTION_DAYS)
    )
    """How long a file's record is kept after its last write (DynamoDB TTL), at least 1 hour;
    a delivery of the same object version within it starts no job. Default: 90 days."""

    run_quiet_period: Duration = field(
        default_factory=lambda: Duration.seconds(records_config.DEFAULT_QUIET_SECONDS)
    )
    """A run ends when no new file has joined it for this long. Default: 5 minutes."""

    def validate(self) -> None:
        """Raise :class:`PipelineConfigurationError` for a retention under 1 hour or a quiet
        period outside 1 minute to 1 day."""
        retention = self.retention.to_seconds()
        if retention < _MIN_RECORD_RETENTION_SECONDS:
            raise PipelineConfigurationError(
                "records.retention",
                self.retention,
                "use at least 1 hour (S3 redeliveries can come hours later)",
            )
        quiet = self.run_quiet_period.to_seconds()
        if not 60 <= quiet <= 86_400:
            raise PipelineConfigurationError(
                "records.run_quiet_period", self.run_quiet_period, "use 1 minute to 1 day"
            )
