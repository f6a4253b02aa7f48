"""The README takes a new user from nothing to a first result and back to nothing.

It says what is needed before ``cdk deploy``, how files go in and results come out, where the logs
are, how the e-mail subscription is confirmed and what ``cdk destroy`` keeps; its usage snippet is
an app file that builds nothing when imported (a test or a tool may import it) and synthesizes the
stack when ``cdk`` runs it.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import aws_cdk as cdk
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _usage_snippet() -> str:
    usage = README[README.index("## Use\n") :]
    match = re.search(r"```python\n(.*?)```", usage, flags=re.DOTALL)
    assert match, "the Use section has a python example"
    return match.group(1)


@pytest.mark.parametrize(
    "needed",
    [
        "aws configure",
        "cdk bootstrap",
        "Finch",
        "npm install -g aws-cdk",
        "cdk.json",
        "aws s3 cp",
        "job_log_group",
        "Confirm subscription",
        "cdk destroy",
        "RETAIN",
    ],
)
def test_the_readme_says_what_a_first_deploy_needs(needed: str) -> None:
    before_the_contract = README[: README.index("## The job contract")]

    assert needed in before_the_contract


@pytest.mark.parametrize(("run_name", "syntheses"), [("lab_app", 0), ("__main__", 1)])
def test_the_usage_snippet_synthesizes_only_when_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_name: str, syntheses: int
) -> None:
    (tmp_path / "container").mkdir()
    (tmp_path / "container" / "Dockerfile").write_text(
        "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
    )
    app_file = tmp_path / "app.py"
    app_file.write_text(_usage_snippet())
    calls: list[cdk.App] = []
    monkeypatch.setattr(cdk.App, "synth", lambda app, *args, **kwargs: calls.append(app))
    monkeypatch.chdir(tmp_path)

    namespace = runpy.run_path(str(app_file), run_name=run_name)

    assert len(calls) == syntheses
    assert "LabStack" in namespace
