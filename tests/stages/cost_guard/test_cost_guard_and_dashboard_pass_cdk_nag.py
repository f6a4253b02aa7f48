"""The optional parts (cost guard, dashboard) add no cdk-nag AwsSolutions finding."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from batch_pipeline_construct import BatchFilePipeline, CostGuardOptions


def test_a_pipeline_with_cost_guard_and_dashboard_has_no_aws_solutions_finding(
    dockerfile_dir: Path, tmp_path: Path
) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Stack")
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        cost_guard=CostGuardOptions(monthly_budget_usd=50),
        dashboard=True,
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))

    app.synth()

    report = json.loads((tmp_path / "validation-report.json").read_text())
    [plugin] = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    findings = [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]
    assert findings == []
    assert plugin["conclusion"] == "success"
