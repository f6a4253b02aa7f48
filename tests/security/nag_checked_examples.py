"""An example app synthesized with cdk-nag's AwsSolutions checks added, and what it produced."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from tests.examples import example_apps
from tests.security import shared_data_app

EXAMPLES: tuple[str, ...] = (*example_apps.EXAMPLES, "shared_data")
"""Every example app, and ``shared_data``: the app of :mod:`.shared_data_app`, whose pipelines
use the disk and shared data options on Fargate and EC2."""


@dataclass(frozen=True)
class CheckedExample:
    """An example synthesized with AwsSolutionsChecks."""

    name: str
    outdir: Path
    report: dict[str, Any]
    """``validation-report.json``: what each validation plugin found and what was acknowledged."""
    validation_failed: bool
    """Whether ``app.synth()`` raised because a plugin found something."""

    def templates(self) -> dict[str, Path]:
        """Stack name -> template file."""
        templates: dict[str, Path] = example_apps.stack_templates(self.outdir)
        return templates

    def stack_regions(self) -> dict[str, str | None]:
        """Stack name -> the region it is bound to, or None for an environment-agnostic stack."""
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        regions: dict[str, str | None] = {}
        for name, artifact in manifest["artifacts"].items():
            if artifact["type"] == "aws:cloudformation:stack":
                region = artifact["environment"].rsplit("/", 1)[-1]
                regions[name] = None if region == "unknown-region" else region
        return regions


def check(example: str, outdir: Path) -> CheckedExample:
    """Synthesize ``example`` into ``outdir`` with AwsSolutionsChecks; findings do not raise."""
    app = (
        shared_data_app.build_app(str(outdir))
        if example == "shared_data"
        else example_apps.build(example, outdir)
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        failed = True
    else:
        failed = False
    report = json.loads((outdir / "validation-report.json").read_text())
    return CheckedExample(example, outdir, report, failed)
