"""Editing a Dockerfile or a handler changes the raw template, never the normalized one."""

from batch_pipeline_construct.testing import normalize_template
from tests.testing.template_stacks import AssetSources


def test_editing_the_handler_changes_only_the_raw_template(asset_sources: AssetSources) -> None:
    before = asset_sources.template()
    asset_sources.handler.write_text("def handler(event, context):\n    return 'v2'\n")
    after = asset_sources.template()

    assert before != after
    assert normalize_template(before) == normalize_template(after)


def test_editing_the_dockerfile_changes_only_the_raw_template(asset_sources: AssetSources) -> None:
    before = asset_sources.template()
    asset_sources.dockerfile.write_text(asset_sources.dockerfile.read_text() + "ENV MODE=fast\n")
    after = asset_sources.template()

    assert before != after
    assert normalize_template(before) == normalize_template(after)


def test_a_real_property_change_shows_in_the_normalized_template(
    asset_sources: AssetSources,
) -> None:
    before = normalize_template(asset_sources.template(memory_size=256))
    after = normalize_template(asset_sources.template(memory_size=512))

    assert before != after
    function = next(r for r in after["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    assert function["Properties"]["MemorySize"] == 512


def test_two_images_get_two_placeholders(asset_sources: AssetSources) -> None:
    normalized = normalize_template(asset_sources.template(second_image=True))
    text = repr(normalized)

    assert "<asset-hash-1>" in text
    assert "<asset-hash-2>" in text
    assert "<asset-hash-3>" in text  # the handler's zip, and the two images


def test_adding_an_image_changes_the_normalized_template(asset_sources: AssetSources) -> None:
    one_image = normalize_template(asset_sources.template())
    two_images = normalize_template(asset_sources.template(second_image=True))

    assert one_image != two_images
