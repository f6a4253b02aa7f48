"""``batch-pipeline local`` runs a bulk-mode pipeline: one array job, its children, one outcome per file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runtime.local.conftest import TEXTS, Ran, run_local, write_files

pytestmark = pytest.mark.docker

BULK_APP = Path(__file__).parent / "bulk_app"


@pytest.fixture(scope="module")
def bulk_run(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    files = write_files(tmp_path_factory.mktemp("bulk-inputs"), TEXTS)
    return run_local(BULK_APP, files, cwd=tmp_path_factory.mktemp("bulk"))


def test_every_file_is_summarized_by_a_child_of_one_array_job(bulk_run: Ran) -> None:
    assert bulk_run.returncode == 0, bulk_run.stdout + bulk_run.stderr
    for key, body in TEXTS.items():
        assert json.loads((bulk_run.out / key / "summary.json").read_bytes())["bytes"] == len(body)
    assert "3 succeeded, 0 failed" in bulk_run.stdout


def test_children_and_their_parent_are_published_as_succeeded(bulk_run: Ran) -> None:
    lines = (bulk_run.out / "completion-messages.jsonl").read_text().splitlines()
    messages = [json.loads(line) for line in lines]
    children = [m for m in messages if m.get("arrayIndex") is not None]
    indexes = sorted(m["arrayIndex"] for m in children)
    assert len(indexes) >= 2
    assert indexes == list(range(len(indexes)))
    assert all(m["status"] == "SUCCEEDED" and m["manifestUri"] for m in messages)
    assert len(messages) == len(children) + 1
