"""Whatever the key (up to S3's 1,024 bytes), ``OUTPUT_PREFIX`` is a valid S3 prefix that leaves
room for the job's file names, tells which file it is for, and is never shared by two keys."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from batch_pipeline_construct.runtime.job.contract import (
    MAX_OUTPUT_PREFIX_BYTES,
    MAX_OUTPUT_ROOT_PREFIX_BYTES,
    output_prefix,
)


def utf8_cut(text: str, size: int) -> str:
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


short_keys = st.text(min_size=1, max_size=200)
# keys near the 1,024-byte limit: a random piece repeated, cut at a character boundary
long_keys = st.tuples(st.text(min_size=1, max_size=30), st.integers(20, 1024)).map(
    lambda piece: utf8_cut(piece[0] * piece[1], 1024)
)
keys = (short_keys | long_keys).filter(lambda key: encodable(key) and len(key.encode()) > 0)
roots = (
    st.text(max_size=300)
    .filter(encodable)
    .map(lambda text: utf8_cut(text, MAX_OUTPUT_ROOT_PREFIX_BYTES - 1))
    .map(lambda text: f"{text}/" if text else "")
)


@settings(max_examples=400, deadline=None)
@given(key=keys, root=roots)
def test_the_prefix_is_valid_and_leaves_room_for_file_names(key: str, root: str) -> None:
    prefix = output_prefix(key, root)

    assert prefix.startswith(root) and prefix.endswith("/")
    assert len(prefix.encode("utf-8")) <= MAX_OUTPUT_PREFIX_BYTES
    assert len((prefix + "x" * 256).encode("utf-8")) <= 1024
    assert output_prefix(key, root) == prefix


@settings(max_examples=400, deadline=None)
@given(key=keys, root=roots)
def test_the_prefix_shows_the_key_whole_when_it_fits_and_its_beginning_otherwise(
    key: str, root: str
) -> None:
    prefix = output_prefix(key, root)

    if len(f"{root}{key}/".encode()) <= MAX_OUTPUT_PREFIX_BYTES:
        assert prefix == f"{root}{key}/"
    else:
        shown = prefix[len(root) : prefix.rindex("~")]
        assert key.startswith(shown)
        assert len(shown.encode()) >= MAX_OUTPUT_PREFIX_BYTES - MAX_OUTPUT_ROOT_PREFIX_BYTES - 21


@settings(max_examples=400, deadline=None)
@given(first=keys, second=keys, root=roots)
def test_two_keys_never_share_a_prefix(first: str, second: str, root: str) -> None:
    if first != second:
        assert output_prefix(first, root) != output_prefix(second, root)


def test_keys_that_differ_only_past_the_cut_get_different_prefixes() -> None:
    head = "deep/" * 200
    first, second = f"{head}a.csv", f"{head}b.csv"

    assert output_prefix(first) != output_prefix(second)
    assert output_prefix(first)[:700] == output_prefix(second)[:700]
