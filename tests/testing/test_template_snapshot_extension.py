"""The syrupy extension and fixture: readable .json snapshots that survive asset edits."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from batch_pipeline_construct.testing import TemplateSnapshotExtension
from tests.testing.template_stacks import AssetSources

SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem
# The inner sessions need no plugin but syrupy.
INNER_ARGS = ("-p", "no:hypothesispytest", "-p", "no:xdist", "-p", "no:cacheprovider")


def test_stack_snapshot_survives_a_dockerfile_and_handler_edit(
    template_snapshot: SnapshotAssertion, asset_sources: AssetSources
) -> None:
    assert template_snapshot(name="stack") == asset_sources.stack()

    asset_sources.dockerfile.write_text(asset_sources.dockerfile.read_text() + "ENV MODE=fast\n")
    asset_sources.handler.write_text("def handler(event, context):\n    return 'v2'\n")

    assert template_snapshot(name="stack") == asset_sources.stack()


def test_snapshot_is_a_readable_json_file_with_placeholders() -> None:
    [snapshot_file] = SNAPSHOTS.glob("test_stack_snapshot_survives_a_dockerfile_and_handler_edit*")

    assert snapshot_file.suffix == ".json"
    template = json.loads(snapshot_file.read_text())
    text = snapshot_file.read_text()
    assert "<asset-hash-1>" in text and "<asset-hash-2>" in text and "<version-hash-1>" in text
    assert "BootstrapVersion" not in template.get("Parameters", {})


def test_extension_takes_a_template_dict(snapshot: SnapshotAssertion) -> None:
    template = {"Resources": {"Fn": {"Properties": {"S3Key": "f" * 64 + ".zip"}}}}

    assert snapshot.use_extension(TemplateSnapshotExtension) == template


def test_extension_rejects_other_values() -> None:
    with pytest.raises(TypeError, match="aws_cdk.Stack or a template dict"):
        TemplateSnapshotExtension().serialize(["not", "a", "template"])


def test_fixture_works_as_a_pytest_plugin_in_a_users_project(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["batch_pipeline_construct.testing"]')
    pytester.makepyfile(
        test_user_stack=textwrap.dedent(
            """
            import os

            def test_stack(template_snapshot):
                template = {
                    "Resources": {
                        "Job": {
                            "Properties": {
                                "Image": "repo:" + os.environ["IMAGE_HASH"],
                                "Memory": os.environ.get("MEMORY", "512"),
                            }
                        }
                    }
                }
                assert template_snapshot == template
            """
        )
    )

    pytester.runpytest_inprocess(*INNER_ARGS, "--snapshot-update").assert_outcomes(passed=1)
    [snapshot_file] = (pytester.path / "__snapshots__").rglob("*.json")
    assert json.loads(snapshot_file.read_text())["Resources"]["Job"]["Properties"]["Image"] == (
        "repo:<asset-hash-1>"
    )

    with pytest.MonkeyPatch.context() as env:
        env.setenv("IMAGE_HASH", "1" * 64)  # a rebuilt image: still equal
        pytester.runpytest_inprocess(*INNER_ARGS).assert_outcomes(passed=1)
        env.setenv("MEMORY", "1024")  # a real change: noticed
        pytester.runpytest_inprocess(*INNER_ARGS).assert_outcomes(failed=1)


@pytest.fixture(autouse=True)
def _first_image_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_HASH", "0" * 64)


def test_without_syrupy_the_snapshot_names_raise_a_clear_import_error() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["syrupy"] = None  # as if syrupy were not installed
        from batch_pipeline_construct import testing
        assert testing.normalize_template({"Resources": {}}) == {"Resources": {}}
        try:
            from batch_pipeline_construct.testing import TemplateSnapshotExtension
        except ImportError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert "needs syrupy" in result.stdout
    assert "pip install syrupy" in result.stdout
