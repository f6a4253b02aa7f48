"""The arrival side plans a manifest: how many children, which files each processes, and the
format the resolver reads back."""

from __future__ import annotations

import json

import pytest

from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.manifest import (
    DEFAULT_FILES_PER_CHILD,
    MAX_ARRAY_SIZE,
    ManifestMalformed,
    PackingSettings,
    files_per_child_for,
    outcomes_uri,
    plan_manifest,
    read_manifest,
)


def contracts(count: int) -> list[JobContract]:
    return [JobContract("in", f"k{n}.csv", "out", f"k{n}.csv/") for n in range(count)]


def shares(count: int, packing: PackingSettings) -> list[range]:
    plan = plan_manifest(contracts(count), "out", packing)
    manifest = read_manifest(plan.body)
    assert manifest.children == plan.array_size
    return [manifest.share(child) for child in range(plan.array_size)]


def test_a_large_batch_is_packed_five_minutes_a_child() -> None:
    plan = plan_manifest(contracts(10_000), "out", PackingSettings(files_per_child=300))

    assert plan.array_size == 34  # ceil(10,000 / 300): more than 20 children's worth of work
    assert plan.count == 10_000


def test_a_small_batch_still_fans_out_to_parallel_children() -> None:
    packing = PackingSettings(files_per_child=300, min_children=20)

    assert plan_manifest(contracts(100), "out", packing).array_size == 20
    assert plan_manifest(contracts(7), "out", packing).array_size == 7


def test_a_batch_with_nothing_behind_it_spreads_over_the_capacity() -> None:
    # 4 files of a minute each per child; a child of one file still works a minute.
    packing = PackingSettings(files_per_child=4, min_children=20, capacity=256)

    assert plan_manifest(contracts(1_000), "out", packing).array_size == 256
    assert plan_manifest(contracts(100), "out", packing).array_size == 100


def test_spread_children_still_work_a_minute_at_least() -> None:
    # 300 one-second files per child at most: spread children get 60 files at least.
    packing = PackingSettings(files_per_child=300, min_children=2, capacity=256)

    assert plan_manifest(contracts(6_000), "out", packing).array_size == 100
    assert plan_manifest(contracts(1_000), "out", packing).array_size == 16


def test_a_batch_with_a_wave_behind_it_is_packed_for_the_files_behind_it() -> None:
    packing = PackingSettings(files_per_child=300, min_children=20, capacity=1_024)

    plan = plan_manifest(contracts(10_000), "out", packing, waiting=packing.wave)

    assert plan.array_size == 34


def test_one_file_per_child_is_bulk_mode_as_before() -> None:
    plan = plan_manifest(contracts(5_000), "out", PackingSettings(files_per_child=1))

    assert plan.array_size == 5_000
    assert [len(share) for share in shares(30, PackingSettings(files_per_child=1))] == [1] * 30


def test_the_array_never_exceeds_batchs_limit() -> None:
    plan = plan_manifest(
        contracts(MAX_ARRAY_SIZE * 3), "out", PackingSettings(files_per_child=1, min_children=2)
    )

    assert plan.array_size == MAX_ARRAY_SIZE


@pytest.mark.parametrize("count", [2, 21, 101, 1_000, 4_801])
def test_every_file_belongs_to_exactly_one_child_and_shares_differ_by_one_at_most(
    count: int,
) -> None:
    packing = PackingSettings(files_per_child=300, min_children=20)
    plan = plan_manifest(contracts(count), "out", packing)
    children = shares(count, packing)

    covered = [index for share in children for index in share]
    assert covered == list(range(count))
    assert max(map(len, children)) - min(map(len, children)) <= 1
    assert [plan.child_of(index) for index in range(count)] == [
        child for child, share in enumerate(children) for _ in share
    ]


def test_the_manifest_carries_the_contract_and_the_packing() -> None:
    files = [JobContract("in", "dir/ä b.csv", "out", "res/dir/ä b.csv/", "v1"), *contracts(2)]
    packing = PackingSettings(
        files_per_child=2, min_children=2, parallelism=4, max_file_attempts=5, capacity=2
    )

    manifest = read_manifest(plan_manifest(files, "out", packing).body)

    assert manifest.contracts == tuple(files)
    assert (manifest.parallelism, manifest.max_file_attempts) == (4, 5)
    assert manifest.share(0) == range(0, 1)
    assert manifest.share(1) == range(1, 3)


def test_a_version_1_manifest_is_one_file_per_child() -> None:
    body = json.dumps(
        {
            "version": 1,
            "count": 2,
            "outputBucket": "out",
            "files": [
                {"bucket": "in", "key": "a", "versionId": None, "outputPrefix": "a/"},
                {"bucket": "in", "key": "b", "versionId": "v", "outputPrefix": "b/"},
            ],
        }
    ).encode()

    manifest = read_manifest(body)

    assert manifest.children == 2
    assert manifest.share(1) == range(1, 2)
    assert manifest.contracts[1] == JobContract("in", "b", "out", "b/", "v")


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"version": 9}', "version 9"),
        (b'{"version": 2, "outputBucket": "out", "files": []}', "'files'"),
        (
            b'{"version": 2, "outputBucket": "out", "children": 1, "parallelism": 1,'
            b' "maxFileAttempts": 1, "files": [{"bucket": "in"}]}',
            "entry 0",
        ),
        (
            b'{"version": 2, "outputBucket": "out", "children": 3, "parallelism": 1,'
            b' "maxFileAttempts": 1, "files": [{"bucket": "in", "key": "a", "outputPrefix": "a/"}]}',
            "more than the 1 files",
        ),
    ],
)
def test_a_malformed_manifest_says_what_is_wrong(body: bytes, complaint: str) -> None:
    with pytest.raises(ManifestMalformed, match=complaint):
        read_manifest(body)


def test_an_index_outside_the_children_names_the_range() -> None:
    manifest = read_manifest(plan_manifest(contracts(4), "out", PackingSettings()).body)

    with pytest.raises(IndexError, match="children 0 to 3"):
        manifest.share(4)


def test_files_per_child_follow_from_the_expected_time_per_file() -> None:
    assert files_per_child_for(1.0) == DEFAULT_FILES_PER_CHILD == 300
    assert files_per_child_for(60.0) == 5
    assert files_per_child_for(60.0, parallelism=4) == 20
    assert files_per_child_for(3_600.0) == 1


def test_outcomes_live_beside_the_manifest() -> None:
    assert (
        outcomes_uri("s3://out/_manifests/20261124-ab.json", 7)
        == "s3://out/_manifests/20261124-ab/outcomes/7.json"
    )


def test_packing_settings_reject_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="min_children"):
        PackingSettings(min_children=1)
    with pytest.raises(ValueError, match="files_per_child"):
        PackingSettings(files_per_child=0)
    with pytest.raises(ValueError, match="capacity"):
        PackingSettings(capacity=0)


def test_an_entry_carries_its_files_size_and_entries_without_one_still_read() -> None:
    sized = JobContract("in", "big.bam", "out", "big.bam/", input_size=5_000_000_000)
    plan = plan_manifest([sized, *contracts(1)], "out", PackingSettings(min_children=2))

    document = json.loads(plan.body)
    assert document["files"][0]["size"] == 5_000_000_000
    assert "size" not in document["files"][1]
    manifest = read_manifest(plan.body)
    assert manifest.contracts[0].environment()["INPUT_SIZE"] == "5000000000"
    assert "INPUT_SIZE" not in manifest.contracts[1].environment()


@pytest.mark.parametrize("size", [-1, "12", 1.5, True])
def test_an_entry_whose_size_is_not_a_byte_count_is_malformed(size: object) -> None:
    document = json.loads(plan_manifest(contracts(2), "out", PackingSettings()).body)
    document["files"][1]["size"] = size

    with pytest.raises(ManifestMalformed, match="entry 1: size"):
        read_manifest(json.dumps(document).encode())
