"""Lint rules: text that stops mid-sentence, incomplete sections, heading jumps."""

from __future__ import annotations

from conftest import MakeProject
from mxpublish.check import RULES, lint
from mxpublish.project import Project
from mxpublish.source.sections import load_publication


def _lint(root):  # type: ignore[no-untyped-def]
    return [(d.code, d.severity.value, d.file) for d in lint(load_publication(Project(root)))]


def test_mid_sentence_ending_is_an_error_unless_marked(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\nPoliticians promise to\n",
            "source/02-b.md": "---\ntitle: B\n---\n\nDone.\n",
        }
    )
    assert _lint(root) == [("TEXT-MIDSENTENCE", "error", "source/01-a.md")]


def test_marked_incomplete_is_a_warning(make_project: MakeProject) -> None:
    root = make_project(
        {"source/01-a.md": "---\ntitle: A\nstatus: incomplete\n---\n\nPoliticians promise to\n"}
    )
    assert _lint(root) == [("TEXT-INCOMPLETE", "warning", "source/01-a.md")]


def test_finished_text_with_closing_quote_is_fine(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": '---\ntitle: A\n---\n\nHe said "stop."\n'})
    assert _lint(root) == []


def test_heading_jump(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\n---\n\n#### Deep\n\nText.\n"})
    assert _lint(root) == [("HEADING-JUMP", "warning", "source/01-a.md")]


def test_rules_have_unique_ids_and_summaries() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.summary for rule in RULES)


def _glyphs(root):  # type: ignore[no-untyped-def]
    found = lint(load_publication(Project(root)))
    return [d for d in found if d.code == "GLYPH-MISSING"]


def test_a_private_use_character_is_reported_with_an_icon_font_hint(
    make_project: MakeProject,
) -> None:
    """An icon font's private-use character prints as a box like any missing glyph."""
    text = "Click the \uf0c1 link icon, then `\uf0c1` again.\n"
    root = make_project({"source/01-a.md": f"---\ntitle: A\n---\n\n{text}"})
    [found] = _glyphs(root)
    assert (found.line, found.col) == (5, 11)
    assert "private-use character \uf0c1 (U+F0C1 PRIVATE USE)" in found.message
    assert found.hint is not None and "icon font" in found.hint


def test_missing_characters_are_one_report_per_file_listing_them(
    make_project: MakeProject,
) -> None:
    """A file in a script no shipped face has gets one report, not one per character: the
    first characters listed, then how many more, at the first one's place."""
    from mxpublish.rules import GLYPHS_LISTED

    han = "".join(chr(0x4E00 + i) for i in range(GLYPHS_LISTED + 5))
    body = f"Plain words first.\n\nThen {han}.\n\nAnd {han[:3]} again.\n"
    root = make_project(
        {
            "source/01-a.md": f"---\ntitle: A\n---\n\n{body}",
            "source/02-b.md": "---\ntitle: B\n---\n\nOnly \u05e9\u05dc\u05d5\u05dd.\n",
        }
    )
    first, second = _glyphs(root)
    assert (first.file, first.line, first.col) == ("source/01-a.md", 7, 6)
    assert f"{GLYPHS_LISTED + 5} distinct characters" in first.message
    assert " ".join(han[:GLYPHS_LISTED]) + " and 5 more" in first.message
    assert han[GLYPHS_LISTED] not in first.message
    assert (second.file, second.line, second.col) == ("source/02-b.md", 5, 6)
    assert "4 distinct characters" in second.message and "HEBREW LETTER SHIN" in second.message
