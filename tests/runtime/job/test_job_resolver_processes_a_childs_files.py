"""An array child works through its share of the manifest: the user's command once per file with
the per-file contract, failures isolated and retried as the exit-code contract says, an outcome
recorded for every file, and a child retried after a lost host redoes no finished file."""

from __future__ import annotations

import json
from typing import Any

from batch_pipeline_construct.runtime.job.exit_codes import (
    EXIT_DO_NOT_RETRY,
    EXIT_DONE,
    EXIT_FILES_FAILED,
)
from batch_pipeline_construct.runtime.job.manifest import PackingSettings, outcomes_uri
from tests.runtime.job.job_container import OUTPUT_BUCKET, Resolver, S3Server


def outcomes(server: S3Server, manifest_uri: str, child: int) -> dict[int, dict[str, Any]]:
    key = outcomes_uri(manifest_uri, child).removeprefix(f"s3://{OUTPUT_BUCKET}/")
    document = json.loads(server.client.get_object(Bucket=OUTPUT_BUCKET, Key=key)["Body"].read())
    return {int(index): outcome for index, outcome in document["files"].items()}


def test_a_child_runs_its_share_with_the_per_file_contract(
    resolver: Resolver, s3_server: S3Server
) -> None:
    keys = [f"ok-{n}.csv" for n in range(10)]
    uri, size = s3_server.put_manifest(keys, PackingSettings(files_per_child=4, min_children=2))

    completed = resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX="1")

    assert size == 3
    assert completed.returncode == EXIT_DONE, completed.stderr
    assert sorted(resolver.runs()) == keys[3:6]  # shares 0-2, 3-5, 6-9
    assert "[4] processing ok-4.csv into s3://job-output/ok-4.csv/" in completed.stdout
    recorded = outcomes(s3_server, uri, 1)
    assert sorted(recorded) == [3, 4, 5]
    assert {o["status"] for o in recorded.values()} == {"succeeded"}
    assert recorded[4]["inputUri"] == "s3://job-input/ok-4.csv"
    assert recorded[4]["log"] is None  # no ECS metadata endpoint outside AWS


def test_one_files_failure_does_not_stop_the_others(
    resolver: Resolver, s3_server: S3Server
) -> None:
    keys = ["ok-a.csv", "bad-b.csv", "fails-c.csv", "flaky-d.csv", "ok-e.csv"]
    packing = PackingSettings(files_per_child=5, min_children=2, max_file_attempts=2)
    uri, _ = s3_server.put_manifest(keys * 2, packing)  # child 0 gets the first five

    completed = resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX="0")

    assert completed.returncode == EXIT_FILES_FAILED, completed.stderr
    runs = resolver.runs()
    assert runs.count("bad-b.csv") == 1  # do not retry
    assert runs.count("fails-c.csv") == 2  # retried up to max_file_attempts
    assert runs.count("flaky-d.csv") == 2  # failed once, then succeeded
    assert runs.count("ok-a.csv") == runs.count("ok-e.csv") == 1
    recorded = outcomes(s3_server, uri, 0)
    assert {i: o["status"] for i, o in recorded.items()} == {
        0: "succeeded",
        1: "failed",
        2: "failed",
        3: "succeeded",
        4: "succeeded",
    }
    assert recorded[1]["exitCode"] == EXIT_DO_NOT_RETRY
    assert recorded[1]["reason"] == "exit code 3 (do not retry): bad header"
    assert (recorded[2]["exitCode"], recorded[2]["attempts"]) == (1, 2)
    assert recorded[2]["reason"] == "exit code 1: out of patience"
    assert recorded[3]["attempts"] == 2
    assert all(o["durationSeconds"] >= 0 for o in recorded.values())


def test_a_child_retried_after_a_lost_host_redoes_no_finished_file(
    resolver: Resolver, s3_server: S3Server
) -> None:
    keys = ["ok-1.csv", "bad-2.csv", "host-3.csv", "ok-4.csv"]
    uri, _ = s3_server.put_manifest(keys * 2, PackingSettings(files_per_child=4, min_children=2))

    lost = resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX="0")
    retried = resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX="0")

    assert lost.returncode == -9  # the host went away mid-file
    assert retried.returncode == EXIT_FILES_FAILED, retried.stderr
    assert resolver.runs() == ["ok-1.csv", "bad-2.csv", "host-3.csv", "host-3.csv", "ok-4.csv"]
    assert sorted(outcomes(s3_server, uri, 0)) == [0, 1, 2, 3]


def test_children_of_uneven_size_each_process_their_own_files(
    resolver: Resolver, s3_server: S3Server
) -> None:
    keys = [f"ok-{n}.csv" for n in range(7)]
    uri, size = s3_server.put_manifest(keys, PackingSettings(files_per_child=3, min_children=2))

    codes = [
        resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX=str(child)).returncode
        for child in range(size)
    ]

    assert size == 3
    assert codes == [EXIT_DONE] * 3
    assert sorted(resolver.runs()) == sorted(keys)
    assert [sorted(outcomes(s3_server, uri, child)) for child in range(size)] == [
        [0, 1],
        [2, 3],
        [4, 5, 6],
    ]


def test_files_run_side_by_side_up_to_the_parallelism(
    resolver: Resolver, s3_server: S3Server
) -> None:
    keys = [f"slow-{n}.csv" for n in range(8)]
    packing = PackingSettings(files_per_child=4, min_children=2, parallelism=4)
    uri, _ = s3_server.put_manifest(keys, packing)

    completed = resolver.run(MANIFEST_URI=uri, AWS_BATCH_JOB_ARRAY_INDEX="0")

    assert completed.returncode == EXIT_DONE, completed.stderr
    recorded = outcomes(s3_server, uri, 0)
    starts = sorted(o["startedAt"] for o in recorded.values())
    ends = [o["durationSeconds"] for o in recorded.values()]
    assert len(recorded) == 4 and min(ends) >= 1.0
    # Four one-second files side by side: every file started before any had finished.
    end_line = next(line for line in completed.stdout.splitlines() if '"child-end"' in line)
    assert json.loads(end_line)["succeeded"] == 4
    first_start = starts[0]
    assert all(_seconds_between(first_start, start) < 1.0 for start in starts)


def _seconds_between(earlier: str, later: str) -> float:
    from datetime import datetime

    return (
        datetime.fromisoformat(later.replace("Z", "+00:00"))
        - datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    ).total_seconds()
