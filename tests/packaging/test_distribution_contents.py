"""The wheel and sdist: built once per session, checked for contents and metadata."""

import ast
import email
import shutil
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "batch_pipeline_construct"
pytestmark = pytest.mark.packaging


def _version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


def test_wheel_holds_the_typed_package_with_its_runtime(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"batch_pipeline_construct/{path.relative_to(PACKAGE).as_posix()}"
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed")
    }

    assert "batch_pipeline_construct/py.typed" in names
    assert "batch_pipeline_construct/runtime/__init__.py" in names
    assert expected <= names
    package_files = {
        n for n in names if not n.startswith(f"batch_pipeline_construct-{_version()}.dist-info/")
    }
    assert package_files == expected, "the wheel holds files that are not in the package"
    assert not any(
        part in n for n in names for part in ("__pycache__", ".pyc", "tests/", "examples/")
    )


def test_wheel_metadata_matches_the_project(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    metadata = email.message_from_bytes(
        archive.read(f"batch_pipeline_construct-{_version()}.dist-info/METADATA")
    )
    classifiers = metadata.get_all("Classifier") or []

    assert metadata["Name"] == "batch-pipeline-construct"
    assert metadata["Version"] == _version()
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["License-Expression"] == "Apache-2.0"
    assert "Typing :: Typed" in classifiers
    for python in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {python}" in classifiers
    requires = metadata.get_all("Requires-Dist") or []
    assert any(r.startswith("aws-cdk-lib") for r in requires)
    assert not any(r.startswith("publib") for r in requires)


def test_sdist_holds_what_is_needed_to_rebuild_and_test(sdist: Path) -> None:
    root = f"batch_pipeline_construct-{_version()}"
    names = set(tarfile.open(sdist).getnames())

    for needed in ("pyproject.toml", "README.md", "CHANGELOG.md", "API.md"):
        assert f"{root}/{needed}" in names
    assert f"{root}/src/batch_pipeline_construct/py.typed" in names
    assert not any(
        part in n for n in names for part in ("cdk.out", "__pycache__", ".venv", "node_modules")
    )


def test_twine_check_passes(dist: Path) -> None:
    twine = shutil.which("twine")
    assert twine, "twine is a dev dependency"
    result = subprocess.run(
        [
            twine,
            "check",
            "--strict",
            *map(str, sorted([*dist.glob("*.whl"), *dist.glob("*.tar.gz")])),
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_version_is_written_once_in_projenrc_and_has_a_changelog_entry() -> None:
    projenrc = ast.parse((ROOT / ".projenrc.py").read_text())
    assignments = {
        target.id: node.value
        for node in projenrc.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    version = assignments["VERSION"]

    assert isinstance(version, ast.Constant) and version.value == _version()
    assert f"## [{_version()}]" in (ROOT / "CHANGELOG.md").read_text()
    assert _version() not in (PACKAGE / "__init__.py").read_text()
