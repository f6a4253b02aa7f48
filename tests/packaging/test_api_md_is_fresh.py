"""API.md is generated from the code by scripts/docgen.py and must match a fresh render."""

import importlib.util
import sys
import textwrap
import types
from pathlib import Path

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
    rendered: str = docgen.render(log=lambda message: None)
    return rendered


def test_api_md_matches_a_fresh_render(fresh_render: str) -> None:
    committed = (ROOT / "API.md").read_text(encoding="utf-8")

    assert committed == fresh_render, "API.md is stale: run `projen docgen` and commit it"


def test_render_is_deterministic_and_machine_independent(fresh_render: str) -> None:
    assert docgen.render(log=lambda message: None) == fresh_render
    assert " at 0x" not in fresh_render
    assert str(ROOT) not in fresh_render


def test_every_public_name_is_documented(fresh_render: str) -> None:
    import batch_pipeline_construct
    import batch_pipeline_construct.testing

    for module in (batch_pipeline_construct, batch_pipeline_construct.testing):
        for name in module.__all__:
            assert f"### `{name}" in fresh_render, f"{module.__name__}.{name} missing from API.md"


def _module(tmp_path: Path, name: str, source: str) -> types.ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_a_listed_name_that_cannot_be_imported_fails_loudly(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "docgen_lazy_sample",
        '''
        """A package whose lazy attribute points at a module that does not exist yet."""
        from importlib import import_module

        __all__ = ["Present", "NotWrittenYet"]

        class Present:
            """Here."""

        def __getattr__(name):
            return getattr(import_module("docgen_lazy_sample_missing"), name)
        ''',
    )

    with pytest.raises(docgen.DocgenError, match="NotWrittenYet.*cannot be imported"):
        docgen.public_names(module)


def test_fields_members_and_attributes_take_their_attribute_docstrings(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "docgen_sample",
        '''
        """Sample."""
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
                self.name = name
                self.options: Options = options or Options()
                """The options in effect."""

            @property
            def label(self) -> str:
                """The name, shouted."""
                return self.name.upper()
        ''',
    )
    renderer = docgen.Renderer()
    text = "\n".join(
        line
        for name, value in docgen.public_names(module)
        for line in renderer.name(module, name, value)
    )

    assert "| `size` | `int` | `2` | How big. Default: 2. |" in text
    assert "| `tags` | `dict[str, str]` | `{}` | Extra tags. |" in text
    assert "| `colour` | `Colour` | `Colour.RED` | The colour. |" in text
    assert "| `RED` | `'red'` | Like a fire engine. |" in text
    assert "Thing(name: str, *, options: Options | None = None) -> None" in text
    assert (
        "| `options` | `Options \\| None` | `None` | How it is built. Default: `Options()`. |"
        in text
    )
    assert "| `name` | `str` | The name" not in text
    assert "| `options` | `Options` | The options in effect. |" in text
    assert "| `label` | `str` | The name, shouted. |" in text
    assert "LIMIT = 3" in text and "How many at most." in text
    assert renderer.undocumented == []


def test_check_mode_fails_on_a_stale_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "API.md"
    stale.write_text("# API reference\n\nstale\n")
    monkeypatch.setattr(docgen, "API_MD", stale)
    monkeypatch.setattr(docgen, "render", lambda *args, **kwargs: "# API reference\n\nfresh\n")

    assert docgen.main(["--check"]) == 1
    assert docgen.main([]) == 0
    assert stale.read_text() == "# API reference\n\nfresh\n"
    assert docgen.main(["--check"]) == 0
