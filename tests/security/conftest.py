"""Each example app synthesized once per session with cdk-nag's AwsSolutions checks added.

The cdk-nag test reads the validation report; the cfn-lint test lints the templates of the same
synthesis (a failed validation still writes the templates), so each example is synthesized once.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.security.nag_checked_examples import CheckedExample, check


@pytest.fixture(scope="session")
def checked_example(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], CheckedExample]:
    """``checked_example(name)``: the example synthesized with cdk-nag, once per session."""
    cache: dict[str, CheckedExample] = {}

    def get(example: str) -> CheckedExample:
        if example not in cache:
            cache[example] = check(example, tmp_path_factory.mktemp(f"{example}-nag"))
        return cache[example]

    return get
