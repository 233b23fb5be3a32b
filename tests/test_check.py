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
