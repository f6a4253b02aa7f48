"""Helpers of the construct tests: build a stack with one pipeline and look into its template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline, PipelineConfigurationError


def build_pipeline(dockerfile_dir: Path, **props: Any) -> tuple[cdk.Stack, BatchFilePipeline]:
    """A stack with one pipeline built with ``props``."""
    app = cdk.App()
    stack = cdk.Stack(app, "Stack")
    pipeline = BatchFilePipeline(stack, "Pipeline", dockerfile_path=str(dockerfile_dir), **props)
    return stack, pipeline


def refusal(dockerfile_dir: Path, **props: Any) -> PipelineConfigurationError:
    """The error that building a pipeline with ``props`` raises (the test fails without one)."""
    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(dockerfile_dir, **props)
    return raised.value


def template_of(dockerfile_dir: Path, **props: Any) -> Template:
    """The template of a stack with one pipeline built with ``props``."""
    stack, _ = build_pipeline(dockerfile_dir, **props)
    return Template.from_stack(stack)


def only(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    """The one resource of ``resource_type`` (logical id, resource); fails if there are more or none."""
    found = template.find_resources(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, dict(resource)


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """Every resource of ``resource_type`` by logical id."""
    return {
        logical_id: dict(resource)
        for logical_id, resource in template.find_resources(resource_type).items()
    }
