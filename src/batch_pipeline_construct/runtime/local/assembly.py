"""The pipelines of a cloud assembly: templates, the arrival function's asset and the job images."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import ARRIVAL_HANDLER
from .errors import LocalRunError


@dataclass(frozen=True)
class ImageAsset:
    """A Docker image asset, as the assembly's asset manifest describes its build."""

    directory: Path
    dockerfile: str = "Dockerfile"
    platform: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    target: str | None = None


@dataclass(frozen=True)
class Pipeline:
    """One ``BatchFilePipeline`` found in a stack of the assembly."""

    stack: str
    name: str
    template: dict[str, Any]
    function_id: str
    function_code: Path
    images: dict[str, ImageAsset]

    @property
    def resources(self) -> dict[str, Any]:
        """The stack template's resources, by logical ID."""
        resources: dict[str, Any] = self.template.get("Resources", {})
        return resources


def synthesize(app_dir: Path, outdir: Path) -> Path:
    """Run the user's CDK CLI (``cdk synth``) in ``app_dir``; returns the assembly folder."""
    cdk = shutil.which("cdk")
    if cdk is None:
        raise LocalRunError(
            f"{app_dir} is a CDK app but no `cdk` command is on PATH; install the CDK CLI "
            "(npm install -g aws-cdk) or pass a synthesized cloud assembly (cdk.out)"
        )
    done = subprocess.run(
        [cdk, "synth", "--quiet", "--output", str(outdir)],
        cwd=app_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise LocalRunError(f"cdk synth failed in {app_dir}: {last[0]}")
    return outdir


def is_assembly(path: Path) -> bool:
    """Whether ``path`` is a synthesized cloud assembly (else a CDK app folder); one clear line
    (:class:`LocalRunError`) when it is neither."""
    if not path.exists():
        raise LocalRunError(f"{path} does not exist; give a CDK app folder or a cloud assembly")
    if (path / "manifest.json").is_file():
        return True
    if (path / "cdk.json").is_file():
        return False
    raise LocalRunError(
        f"{path} is neither a CDK app (no cdk.json) nor a cloud assembly (no manifest.json)"
    )


def assembly_dir(path: Path, outdir: Path) -> Path:
    """The cloud assembly for ``path``: itself, or what ``cdk synth`` makes of a CDK app there."""
    return path if is_assembly(path) else synthesize(path, outdir)


def _construct_paths(root: Path, stack: str, artifact: dict[str, Any]) -> dict[str, str]:
    metadata = artifact.get("metadata") or {}
    separate = root / f"{stack}.metadata.json"
    if not metadata and separate.is_file():
        # Newer CDK CLIs keep a stack's metadata in a file of its own.
        metadata = json.loads(separate.read_text())
    paths: dict[str, str] = {}
    for path, entries in metadata.items():
        for entry in entries:
            if entry.get("type") == "aws:cdk:logicalId":
                paths[entry["data"]] = path
    return paths


def _asset_manifest(root: Path, manifest: dict[str, Any], stack: str) -> dict[str, Any]:
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != "cdk:asset-manifest":
            continue
        file = artifact.get("properties", {}).get("file", "")
        if file == f"{stack}.assets.json":
            loaded: dict[str, Any] = json.loads((root / file).read_text())
            return loaded
    return {}


def _images(root: Path, assets: dict[str, Any]) -> dict[str, ImageAsset]:
    images = {}
    for asset_hash, image in assets.get("dockerImages", {}).items():
        source = image.get("source", {})
        if "directory" not in source:
            continue
        images[asset_hash] = ImageAsset(
            directory=root / source["directory"],
            dockerfile=source.get("dockerFile", "Dockerfile"),
            platform=source.get("platform"),
            build_args=dict(source.get("dockerBuildArgs", {})),
            target=source.get("dockerBuildTarget"),
        )
    return images


def _function_code(root: Path, assets: dict[str, Any], function: dict[str, Any]) -> Path:
    key = function["Properties"].get("Code", {}).get("S3Key")
    asset_hash = key.split(".")[0] if isinstance(key, str) else None
    source = assets.get("files", {}).get(asset_hash, {}).get("source", {})
    if "path" not in source:
        raise LocalRunError("the arrival function's code asset is not in the assembly")
    return root / str(source["path"])


def pipelines(root: Path) -> list[Pipeline]:
    """Every pipeline of every stack in the cloud assembly at ``root``."""
    manifest = json.loads((root / "manifest.json").read_text())
    found = []
    for stack, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((root / artifact["properties"]["templateFile"]).read_text())
        assets = _asset_manifest(root, manifest, stack)
        paths = _construct_paths(root, stack, artifact)
        for logical_id, resource in template.get("Resources", {}).items():
            if (
                resource.get("Type") == "AWS::Lambda::Function"
                and resource.get("Properties", {}).get("Handler") == ARRIVAL_HANDLER
            ):
                path = paths.get(logical_id, f"/{stack}/{logical_id}")
                found.append(
                    Pipeline(
                        stack=stack,
                        name=path.strip("/").split("/Arrival/")[0],
                        template=template,
                        function_id=logical_id,
                        function_code=_function_code(root, assets, resource),
                        images=_images(root, assets),
                    )
                )
    return found
