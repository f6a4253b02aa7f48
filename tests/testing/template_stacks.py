"""Small stacks for the testing helpers' tests, built with plain aws-cdk-lib, with a Lambda asset and Docker image assets.

Synthesis only stages the assets (copies and hashes them), so no Docker engine is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template


@dataclass
class AssetSources:
    """The folders a test stack builds its assets from; tests edit the files between synths."""

    root: Path

    @property
    def handler(self) -> Path:
        return self.root / "handler" / "index.py"

    @property
    def dockerfile(self) -> Path:
        return self.root / "image" / "Dockerfile"

    @property
    def second_dockerfile(self) -> Path:
        return self.root / "second-image" / "Dockerfile"

    def stack(self, *, memory_size: int = 256, second_image: bool = False) -> cdk.Stack:
        """A stack with a function (and its current version), a job definition and maybe an image."""
        # The CDK caches asset hashes by source folder for the life of the process; a test that
        # edits a file between two synths must forget them to see the edit.
        cdk.AssetStaging.clear_asset_hash_cache()
        app = cdk.App(outdir=str(self.root / "cdk.out"))
        stack = cdk.Stack(app, "TestingHelpersStack")
        function = lambda_.Function(
            stack,
            "Handler",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(self.handler.parent)),
            memory_size=memory_size,
        )
        lambda_.Alias(stack, "Live", alias_name="live", version=function.current_version)
        batch.EcsJobDefinition(
            stack,
            "Job",
            container=batch.EcsEc2ContainerDefinition(
                stack,
                "Container",
                image=ecs.ContainerImage.from_asset(str(self.dockerfile.parent)),
                cpu=1,
                memory=cdk.Size.mebibytes(512),
            ),
        )
        if second_image:
            asset = ecr_assets.DockerImageAsset(
                stack, "SecondImage", directory=str(self.second_dockerfile.parent)
            )
            cdk.CfnOutput(stack, "SecondImageUri", value=asset.image_uri)
        return stack

    def template(self, **options: Any) -> dict[str, Any]:
        template: dict[str, Any] = Template.from_stack(self.stack(**options)).to_json()
        return template
