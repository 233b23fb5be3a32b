"""Fixtures: a mini project written from a dict, and the briefing built once per session."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import REPO

MINIMAL_CONFIG = """\
title: A Test Publication
authors: [Test Office]
date: 2024-05-01
language: en-US
identifier: urn:uuid:12345678-1234-5678-1234-567812345678
"""

# Hypothesis profiles: CI runs a few hundred examples, reproducibly; `thorough` runs thousands
# with fresh randomness (HYPOTHESIS_PROFILE=thorough; see docs/errors.md).
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=300, deadline=None, derandomize=True, suppress_health_check=_SLOW_OK
)
settings.register_profile(
    "thorough", max_examples=3000, deadline=None, suppress_health_check=_SLOW_OK
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

MakeProject = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Write ``{relative path: text or bytes}`` under a fresh project; publication.yaml and one
    section are added unless given."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "project"
        defaults: dict[str, str | bytes] = {"source/publication.yaml": MINIMAL_CONFIG}
        if not any(name.startswith("source/") and name.endswith(".md") for name in files):
            defaults["source/01-first.md"] = "---\ntitle: First\n---\n\nSome text.\n"
        for name, content in {**defaults, **files}.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture(scope="session")
def briefing_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The repository's briefing built once in all formats; WeasyPrint warnings fail it."""
    from mxpublish.build import build

    root = tmp_path_factory.mktemp("briefing")
    for name in ("source", "styles"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, root / name)
    result = build(root, out_dir=root / "build")
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    outputs = {output.format: output.path for output in result.outputs}
    outputs["root"] = root
    return outputs


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def layout_once() -> Iterator[None]:
    """While active, each distinct print document (HTML and CSS) is laid out once and the
    same layout is written again for every later build of it: the PDF variants differ mostly
    in how WeasyPrint writes the file, and laying out the 200-section book takes minutes."""
    import weasyprint

    layouts: dict[tuple[object, ...], object] = {}

    class OnceCSS(weasyprint.CSS):  # type: ignore[misc]
        def __init__(self, *args: object, string: str | None = None, **kwargs: object) -> None:
            self.key = string
            super().__init__(*args, string=string, **kwargs)

    class OnceHTML(weasyprint.HTML):  # type: ignore[misc]
        def __init__(self, *args: object, string: str | None = None, **kwargs: object) -> None:
            self.key = string
            super().__init__(*args, string=string, **kwargs)

        def render(self, *args: object, stylesheets: list[object], **kwargs: object) -> object:
            key = (self.key, *(getattr(sheet, "key", id(sheet)) for sheet in stylesheets))
            if self.key is None or None in key:
                return super().render(*args, stylesheets=stylesheets, **kwargs)
            if key not in layouts:
                layouts[key] = super().render(*args, stylesheets=stylesheets, **kwargs)
            return layouts[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(weasyprint, "HTML", OnceHTML)
        patch.setattr(weasyprint, "CSS", OnceCSS)
        yield
    layouts.clear()
