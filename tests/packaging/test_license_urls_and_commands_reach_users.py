"""What a user of the wheel gets: the license text, the project's URLs, commands that exist.

Apache-2.0 requires its text to travel with the code; the metadata names one home for the project;
every ``python -m`` command the README gives a wheel user runs a module the wheel has.
"""

from __future__ import annotations

import email
import re
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "https://github.com/batch-pipeline-construct/batch-pipeline-construct"
pytestmark = pytest.mark.packaging


def _metadata(wheel: Path) -> email.message.Message:
    archive = zipfile.ZipFile(wheel)
    (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    return email.message_from_bytes(archive.read(name))


def test_the_repository_has_the_apache_license_text() -> None:
    text = (ROOT / "LICENSE").read_text()

    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_wheel_and_sdist_carry_the_license(wheel: Path, sdist: Path) -> None:
    license_text = (ROOT / "LICENSE").read_bytes()
    archive = zipfile.ZipFile(wheel)
    in_wheel = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    with tarfile.open(sdist) as tar:
        in_sdist = [m for m in tar.getmembers() if m.name.endswith("/LICENSE")]
        sdist_text = tar.extractfile(in_sdist[0]).read() if in_sdist else b""  # type: ignore[union-attr]

    assert len(in_wheel) == 1 and archive.read(in_wheel[0]) == license_text
    assert sdist_text == license_text
    assert _metadata(wheel).get_all("License-File") == ["LICENSE"]


def test_metadata_names_the_project_home_and_a_real_address(wheel: Path) -> None:
    metadata = _metadata(wheel)
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL") or [])

    assert {"Homepage", "Repository", "Documentation", "Issues", "Changelog"} <= set(urls)
    assert all(url.startswith(REPOSITORY) for url in urls.values())
    address = metadata["Author-email"]
    assert address and ".invalid" not in address and "@" in address


def test_project_urls_come_from_one_definition() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert project["urls"]["Homepage"] == REPOSITORY
    assert f'REPOSITORY = "{REPOSITORY}"' in (ROOT / ".projenrc.py").read_text()


def test_every_readme_command_for_wheel_users_runs_a_module_the_wheel_has(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    paragraphs = re.split(r"\n\s*\n", (ROOT / "README.md").read_text())
    commands = [
        (module, paragraph)
        for paragraph in paragraphs
        for module in re.findall(r"python -m ([\w.]+)", paragraph)
    ]

    assert commands
    for module, paragraph in commands:
        path = module.replace(".", "/")
        shipped = f"{path}.py" in names or f"{path}/__main__.py" in names
        assert shipped or "checkout" in paragraph, f"`python -m {module}` is not in the wheel"
