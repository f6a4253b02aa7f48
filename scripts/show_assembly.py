"""Show what ``cdk synth`` made: each stack's resources by type, its assets, and where it all is.

Usage: ``python scripts/show_assembly.py CDK_OUT_DIR``. Reads only the cloud assembly on disk.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def _stacks(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return sorted(
        (name, artifact)
        for name, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == "aws:cloudformation:stack"
    )


def describe(cdk_out: Path) -> str:
    """A readable summary of the cloud assembly in ``cdk_out``."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    lines = [f"Cloud assembly: {cdk_out.resolve()}"]
    for name, artifact in _stacks(manifest):
        template_file = cdk_out / artifact["properties"]["templateFile"]
        template = json.loads(template_file.read_text())
        resources = template.get("Resources", {})
        environment = artifact.get("environment", "")
        lines += [
            "",
            f"Stack {name} ({environment})",
            f"  template: {template_file} ({template_file.stat().st_size:,} bytes)",
        ]
        lines.append(f"  {len(resources)} resources (CloudFormation allows 500 per stack):")
        for kind, count in sorted(Counter(r["Type"] for r in resources.values()).items()):
            lines.append(f"    {count:3d}  {kind}")
        assets_file = cdk_out / f"{name}.assets.json"
        if assets_file.exists():
            assets = json.loads(assets_file.read_text())
            for asset in assets.get("files", {}).values():
                lines.append(
                    f"  file asset:  {asset['source']['path']} ({asset['source'].get('packaging', 'file')})"
                )
            for asset in assets.get("dockerImages", {}).values():
                source = asset["source"]
                platform = source.get("platform", "default platform")
                lines.append(
                    f"  image asset: {source['directory']} (Dockerfile: {source.get('dockerFile', 'Dockerfile')}, {platform})"
                )
        outputs = template.get("Outputs", {})
        if outputs:
            lines.append(f"  outputs: {', '.join(sorted(outputs))}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/show_assembly.py CDK_OUT_DIR")
    print(describe(Path(sys.argv[1])))
