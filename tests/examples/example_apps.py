"""Build the example apps in-process, as ``cdk synth`` run in their folder would.

The CLI runs ``python app.py`` in the example's folder, so an example's relative
``dockerfile_path`` resolves there; :func:`build` does the same in the test's process, so a test
can keep the cloud assembly and inspect it. The CLI also passes ``cdk.context.json`` in the
environment, which an in-process app never sees (aws-cdk-lib reads it in its Node process, started
before any test runs): an example that needs cached lookups reads that file in ``build_app``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aws_cdk import cx_api

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = ("minimal", "gpu_spot", "existing_resources", "large_files")
"""Every example app: a folder of ``examples/`` with an ``app.py`` that has ``build_app``."""


def load_module(path: Path, name: str) -> ModuleType:
    """Import the Python file at ``path`` as a module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    # Registered first, as an import would, so that dataclasses can resolve the module's names.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build(example: str, outdir: Path, **build_options: Any) -> Any:
    """The example's ``cdk.App`` from ``build_app(outdir=...)``, built in the example's folder."""
    folder = EXAMPLES_DIR / example
    module = load_module(folder / "app.py", f"{example}_example_app")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return module.build_app(outdir=str(outdir), **build_options)


def synthesize(example: str, outdir: Path, **build_options: Any) -> cx_api.CloudAssembly:
    """Build the example's app and synthesize it into ``outdir``."""
    app = build(example, outdir, **build_options)
    assembly: cx_api.CloudAssembly = app.synth()
    return assembly


def stack_templates(outdir: Path) -> dict[str, Path]:
    """Stack name -> template file of every stack in the cloud assembly in ``outdir``."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: outdir / artifact["properties"]["templateFile"]
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
