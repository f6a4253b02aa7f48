"""API.md is rendered by scripts/docgen.py (griffe), documents what users call, and is fresh."""

import importlib.util
import re
import sys
import textwrap
import types
from pathlib import Path

import griffe
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_docgen() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("docgen", ROOT / "scripts" / "docgen.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["docgen"] = module
    spec.loader.exec_module(module)
    return module


docgen = _load_docgen()


@pytest.fixture(scope="module")
def fresh_render() -> str:
    rendered: str = docgen.render()
    return rendered


def test_api_md_matches_a_fresh_render(fresh_render: str) -> None:
    committed = (ROOT / "API.md").read_text(encoding="utf-8")

    assert committed == fresh_render, "API.md is stale: run `projen docgen` and commit it"


def test_render_is_machine_independent(fresh_render: str) -> None:
    assert " at 0x" not in fresh_render
    assert str(ROOT) not in fresh_render


def test_every_public_name_is_documented_and_nothing_internal(fresh_render: str) -> None:
    import batch_pipeline_construct
    import batch_pipeline_construct.testing

    public = set(batch_pipeline_construct.__all__) | set(batch_pipeline_construct.testing.__all__)
    for name in public:
        assert f"### `{name}" in fresh_render, f"{name} missing from API.md"
    for internal in ("Ledger", "Claim", "Taken", "ArrivalSettings", "Submitter", "ObjectRef"):
        assert f"### `{internal}`" not in fresh_render


def test_every_link_reaches_an_anchor_and_anchors_are_unique(fresh_render: str) -> None:
    anchors = re.findall(r'<a id="([^"]+)"></a>', fresh_render)
    links = re.findall(r"\]\(#([^)]+)\)", fresh_render)

    assert len(anchors) == len(set(anchors))
    assert links and set(links) <= set(anchors), set(links) - set(anchors)


def test_tables_have_no_empty_descriptions(fresh_render: str) -> None:
    rows = [line for line in fresh_render.splitlines() if line.startswith("| `")]

    assert rows
    assert [row for row in rows if row.rstrip().endswith("|  |")] == []


def test_shell_commands_sit_in_shell_fences(fresh_render: str) -> None:
    fences = re.findall(r"```(\w*)\n(.*?)```", fresh_render, flags=re.DOTALL)
    python_blocks = [body for language, body in fences if language == "python"]

    assert fences
    assert not any(
        line.startswith(("python -m", "pip install"))
        for body in python_blocks
        for line in body.splitlines()
    )


def _sample_package(tmp_path: Path, source: str) -> griffe.Module:
    folder = tmp_path / "docgen_sample"
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(source))
    package = griffe.load("docgen_sample", search_paths=[str(tmp_path)], docstring_parser="sphinx")
    assert isinstance(package, griffe.Module)
    return package


SAMPLE = '''
    """Sample.

    Run it::

        python -m docgen_sample --flag
    """
    from __future__ import annotations

    import enum
    from dataclasses import dataclass, field

    __all__ = ["Colour", "Options", "Thing", "LIMIT"]

    LIMIT = 3
    """How many at most."""

    class Colour(enum.Enum):
        """A colour."""

        RED = "red"
        """Like a fire engine."""

    @dataclass(frozen=True)
    class Options:
        """Options."""

        size: int = 2
        """How big. Default: 2."""
        tags: dict[str, str] = field(default_factory=dict)
        """Extra tags."""
        colour: Colour = field(default_factory=lambda: Colour.RED)
        """The colour."""

    class Thing:
        """A thing."""

        def __init__(self, name: str, *, options: Options | None = None) -> None:
            """Make it.

            :param name: What it is called.
            :param options: How it is built. Default: ``Options()``.
            """
            self.options: Options = options or Options()
            """The options in effect."""
'''


def test_fields_members_parameters_and_attributes_are_tabled(tmp_path: Path) -> None:
    text = docgen.render(_sample_package(tmp_path, SAMPLE), [docgen.Section("docgen_sample")])

    assert "| `size` | `int` | `2` | How big. Default: 2. |" in text
    assert "| `tags` | `dict[str, str]` | `{}` | Extra tags. |" in text
    assert "| `colour` | `Colour` | `Colour.RED` | The colour. |" in text
    assert "| `RED` | `'red'` | Like a fire engine. |" in text
    assert "Thing(name: str, *, options: Options | None = None)" in text
    assert (
        "| `options` | `Options \\| None` | `None` | How it is built. Default: `Options()`. |"
        in text
    )
    assert "| `options` | `Options` | The options in effect. |" in text
    assert "```shell\npython -m docgen_sample --flag\n```" in text


@pytest.mark.parametrize(
    ("mistake", "replacement", "message"),
    [
        ('"""How big. Default: 2."""', "", "size has no docstring"),
        (":param options: How it is built. Default: ``Options()``.", "", "without a description"),
        (
            '__all__ = ["Colour", "Options", "Thing", "LIMIT"]',
            '__all__ = ["Thing"]',
            "does not document",
        ),
        (
            '__all__ = ["Colour", "Options", "Thing", "LIMIT"]',
            '__all__ = ["Gone"]',
            "cannot be found",
        ),
    ],
)
def test_an_incomplete_public_api_fails_the_render(
    tmp_path: Path, mistake: str, replacement: str, message: str
) -> None:
    assert mistake in SAMPLE
    package = _sample_package(tmp_path, SAMPLE.replace(mistake, replacement))

    with pytest.raises(docgen.DocgenError, match=message):
        docgen.render(package, [docgen.Section("docgen_sample")])


def test_check_mode_fails_on_a_stale_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "API.md"
    stale.write_text("# API reference\n\nstale\n")
    monkeypatch.setattr(docgen, "API_MD", stale)
    monkeypatch.setattr(docgen, "render", lambda *args, **kwargs: "# API reference\n\nfresh\n")

    assert docgen.main(["--check"]) == 1
    assert docgen.main([]) == 0
    assert stale.read_text() == "# API reference\n\nfresh\n"
    assert docgen.main(["--check"]) == 0
