"""An edit seen by a long-running process (watch, serve) gives exactly what a cold load gives:
the memos that let it re-parse and re-render only the changed section never show a stale
number, id, link or citation."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import mxpublish
from mxpublish.authoring.serve import preview_html
from mxpublish.build import load
from mxpublish.model import Publication
from mxpublish.source.memo import clear_memos, keep_between_loads

PROJECTS = Path(__file__).parent / "projects"


@pytest.fixture(autouse=True)
def _keeping() -> Iterator[None]:
    """As watch and serve do: loads keep what they computed for the next one."""
    previous = keep_between_loads(True)
    yield
    keep_between_loads(previous)


def _cold(project: Path) -> tuple[Publication, bytes]:
    clear_memos()
    return load(project)[1], preview_html(project)


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _prepend_body(path: Path, text: str) -> None:
    """Insert ``text`` right after the front matter, so it shifts everything after it."""
    head, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    path.write_text(f"{head}---\n{front}---\n\n{text}\n{body}", encoding="utf-8")


def _template(source: Path, marker: str) -> None:
    """The project overrides (or edits its override of) the theme's title page template."""
    theme = Path(mxpublish.__file__).parent / "theme" / "templates" / "_titlepage.html.j2"
    own = source.parent / "templates" / "_titlepage.html.j2"
    own.parent.mkdir(exist_ok=True)
    own.write_text(theme.read_text(encoding="utf-8") + f"<p>{marker}</p>\n", encoding="utf-8")


Edit = Callable[[Path], None]
EDITS: dict[str, tuple[str, Edit]] = {
    "a word appended": ("constructs", lambda s: _append(s / "03-blocks.md", "\nOne more word.\n")),
    "a footnote before others": (
        "constructs",
        lambda s: _prepend_body(s / "01-text.md", "A new call.[^new]\n\n[^new]: A new note.\n"),
    ),
    "a heading that takes a later one's id": (
        "constructs",
        lambda s: _prepend_body(s / "01-text.md", "## Notes at the Foot of the Page\n\nText.\n"),
    ),
    "a captioned figure before the others": (
        "apparatus",
        lambda s: _prepend_body(
            s / "01-introduction.md",
            "![A new chart](images/"
            + sorted(p.name for p in (s / "images").iterdir())[0]
            + ' "A new chart"){#fig-new}\n\nSee @fig-new.\n',
        ),
    ),
    "a citation added": (
        "apparatus",
        lambda s: _append(s / "03-models.md", "\nAs measured before [@rantz1982].\n"),
    ),
    "a section's title changed": (
        "apparatus",
        lambda s: (s / "02-methods.md").write_text(
            (s / "02-methods.md").read_text().replace("Methods of Measurement", "Methods Used"),
            encoding="utf-8",
        ),
    ),
    "an external link added (a print note)": (
        "constructs",
        lambda s: _prepend_body(s / "02-notes.md", "See [the rules](https://example.org/r).\n"),
    ),
    "a template added": ("constructs", lambda s: _template(s, "Added by the project")),
    "a template changed": (
        "constructs",
        lambda s: (_template(s, "First version"), preview_html(s.parent), _template(s, "Second")),
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_gives_what_a_cold_load_gives(edit: str, tmp_path: Path) -> None:
    name, change = EDITS[edit]
    project = tmp_path / name
    shutil.copytree(PROJECTS / name, project)
    before = preview_html(project)  # the memos now hold every section
    load(project)
    change(project / "source")
    warm_publication, warm_page = load(project)[1], preview_html(project)
    assert warm_page != before, "the edit must change the page"
    cold_publication, cold_page = _cold(project)
    assert warm_publication == cold_publication
    assert warm_page == cold_page


def test_an_unchanged_section_is_not_rendered_again(tmp_path: Path, monkeypatch) -> None:
    """The point of the memo: after an edit of one section, only that one is rendered."""
    import mxpublish.source.rendered as rendered

    project = tmp_path / "constructs"
    shutil.copytree(PROJECTS / "constructs", project)
    clear_memos()
    load(project)
    rendered_ids: list[str] = []
    original = rendered.render_section

    def counting(md, tokens, doc_id, state, found=None):  # type: ignore[no-untyped-def]
        rendered_ids.append(doc_id)
        return original(md, tokens, doc_id, state, found)

    monkeypatch.setattr(rendered, "render_section", counting)
    _append(project / "source" / "06-code.md", "\nOne more word.\n")
    load(project)
    assert set(rendered_ids) == {"code"}


def test_a_memo_keeps_to_its_count_and_weight() -> None:
    """A long serve session of large sections must not hold every version in memory."""
    from mxpublish.source.memo import Memo

    memo = Memo[int](3, weight=10)
    for key, value, weight in (("a", 1, 4), ("b", 2, 4), ("c", 3, 4)):
        memo.put(key, value, weight)
    assert memo.get("a") is None and memo.get("b") == 2 and memo.total == 8
    memo.put("huge", 4, 11)
    assert memo.get("huge") is None  # heavier than the whole memo: not kept
    memo.put("d", 5)
    memo.put("e", 6)
    assert memo.get("b") is None and len(memo.entries) == 3
    memo.put("e", 7, 2)
    assert memo.get("e") == 7 and memo.total == sum(w for _, w in memo.entries.values())
