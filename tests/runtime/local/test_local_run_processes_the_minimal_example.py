"""``batch-pipeline local`` runs the minimal example as it ships: its app, its image, its job.

The app is synthesized by the CDK CLI, the job image is built from the staged asset by Docker,
the arrival function's own code submits the jobs to moto's server, and the containers read and
write through it. Docker is needed: ``./scripts/test`` starts the engine (scripts/docker-engine).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.examples.example_apps import EXAMPLES_DIR
from tests.runtime.local.conftest import TEXTS, Ran, run_local

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def minimal_run(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    return run_local(EXAMPLES_DIR / "minimal", inputs, cwd=tmp_path_factory.mktemp("minimal"))


def _messages(ran: Ran) -> list[Any]:
    lines = (ran.out / "completion-messages.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_each_text_file_gets_its_summary_in_the_output_folder(minimal_run: Ran) -> None:
    for key, body in TEXTS.items():
        summary = json.loads((minimal_run.out / key / "summary.json").read_bytes())
        assert summary["input"].endswith("/" + key)
        assert summary["bytes"] == len(body)
    assert not (minimal_run.out / "scan.bin").exists()


def test_each_text_file_gets_one_succeeded_message_shaped_as_the_topics(minimal_run: Ran) -> None:
    succeeded = [m for m in _messages(minimal_run) if m["status"] == "SUCCEEDED"]
    assert sorted(m["inputUri"].split("/", 3)[3] for m in succeeded) == sorted(TEXTS)
    for message in succeeded:
        assert message["exitCode"] == 0
        assert message["outputUri"].endswith("/" + message["inputUri"].split("/", 3)[3] + "/")


def test_the_rejected_file_is_reported_failed_with_its_log(minimal_run: Ran) -> None:
    assert minimal_run.returncode == 1
    (failed,) = [m for m in _messages(minimal_run) if m["status"] == "FAILED"]
    assert failed["inputUri"].endswith("/scan.bin")
    assert failed["exitCode"] == 3
    assert "FAILED scan.bin (exit code 3); its log:" in minimal_run.stdout
    assert "scan.bin is not UTF-8 text" in minimal_run.stdout
    assert "3 succeeded, 1 failed" in minimal_run.stdout
    assert "Traceback" not in minimal_run.stdout + minimal_run.stderr
