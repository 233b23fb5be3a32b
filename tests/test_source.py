"""Sections: order, front matter, ids, links and content-as-data."""

from __future__ import annotations

import pytest

from conftest import MakeProject
from mxpublish.errors import SourceError
from mxpublish.project import Project
from mxpublish.source.sections import load_publication


def _load(root):  # type: ignore[no-untyped-def]
    return load_publication(Project(root))


def _codes(exc: pytest.ExceptionInfo[SourceError]) -> set[str]:
    return {d.code for d in exc.value.diagnostics}


def test_sections_are_ordered_by_number(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/10-last.md": "---\ntitle: Last\n---\n\nEnd.\n",
            "source/2-second.md": "---\ntitle: Second\n---\n\nMiddle.\n",
            "source/01-first.md": "---\ntitle: First\nstatus: draft\nsummary: S.\n---\n\nStart.\n",
        }
    )
    pub = _load(root)
    assert [s.title for s in pub.sections] == ["First", "Second", "Last"]
    assert [s.id for s in pub.sections] == ["first", "second", "last"]
    assert pub.sections[0].status == "draft" and pub.sections[0].summary == "S."


def test_template_syntax_in_a_section_prints_literally(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\n---\n\n{{ 7*7 }} and {% raw %}\n"})
    html = _load(root).sections[0].html
    assert "{{ 7*7 }}" in html and "{% raw %}" in html and "49" not in html


def test_raw_html_is_escaped(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\n---\n\n<script>x()</script> <b>b</b>\n"})
    html = _load(root).sections[0].html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_typography_quotes_and_dashes(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: 'What \"Troops\" Mean'\n---\n\n"
            "It's \"quoted\" -- and 'single'.\n"
        }
    )
    section = _load(root).sections[0]
    assert section.title == "What “Troops” Mean"
    assert "It’s “quoted” – and ‘single’." in section.html


def test_typography_never_rewords_the_author(make_project: MakeProject) -> None:
    """Only quotes, dashes and the three-dot ellipsis change; what markdown-it's
    `replacements` would also rewrite ((c), (r), (tm), +-, ,, and !!!!) stays as written."""
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\n"
            "Items (a), (b) and (c) of (r) -- pages 3--5 --- at +-2 degrees,, wait... no!!!! "
            "Two.. or four.... dots. <https://example.org/a--b...c>\n"
        }
    )
    html = _load(root).sections[0].html
    assert (
        "Items (a), (b) and (c) of (r) – pages 3–5 — at +-2 degrees,, wait… no!!!! "
        "Two.. or four.... dots."
    ) in html
    assert ">https://example.org/a--b...c<" in html


def test_heading_ids_are_unique_across_sections(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\n## Background\n\nx\n\n## Background\n\ny\n",
            "source/02-b.md": "---\ntitle: B\n---\n\n## Background\n\nz\n",
        }
    )
    pub = _load(root)
    ids = [h.id for s in pub.sections for h in s.headings]
    # GitHub's rule in a section (-1, -2…); another section's repeat gets a further suffix
    assert ids == ["background", "background-1", "background-2"]
    assert 'id="background-2"' in pub.sections[1].html


def test_links_between_sections_resolve(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\nSee [B](02-b.md), [its part](02-b.md#part) "
            "and [here](#local).\n\n## Local\n\nx\n",
            "source/02-b.md": "---\ntitle: B\n---\n\n## Part\n\nz\n",
        }
    )
    html = _load(root).sections[0].html
    assert 'href="#b"' in html and 'href="#part"' in html and 'href="#local"' in html


def test_broken_links_are_warnings_with_lines(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\nSee [x](09-none.md).\n\nAnd [y](#nowhere).\n",
        }
    )
    pub = _load(root)
    found = [(d.code, d.severity.value, d.line) for d in pub.diagnostics]
    assert found == [("LINK-BROKEN", "warning", 5), ("LINK-BROKEN", "warning", 7)]
    assert pub.sections[0].html == "<p>See x.</p>\n<p>And y.</p>\n"


def test_all_section_problems_are_reported_together(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "No front matter\n",
            "source/01-b.md": "---\ntitle: B\ncolour: red\n---\n\ntext\n",
            "source/03-c.md": "---\ntitle: C\n---\n\n",
            "source/04-d.md": "---\ntitle: D\n---\n\n# Big\n\ntext\n",
            "source/notes.md": "---\ntitle: N\n---\n\ntext\n",
            "source/publication.yaml": "title: [unclosed\n",
        }
    )
    with pytest.raises(SourceError) as exc:
        _load(root)
    assert _codes(exc) == {
        "SECTION-NO-FRONT-MATTER",
        "SECTION-ORDER",
        "SCHEMA-UNKNOWN",
        "SECTION-EMPTY",
        "SECTION-H1",
        "SECTION-NAME",
        "YAML-SYNTAX",
    }


def test_no_sections(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "x"})
    (root / "source" / "01-a.md").unlink()
    with pytest.raises(SourceError) as exc:
        _load(root)
    assert _codes(exc) == {"SOURCE-NO-SECTIONS"}


def test_duplicate_section_ids(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\nid: same\n---\n\nx\n",
            "source/02-b.md": "---\ntitle: B\nid: same\n---\n\ny\n",
        }
    )
    with pytest.raises(SourceError) as exc:
        _load(root)
    assert _codes(exc) == {"SECTION-ID-DUPLICATE"}


def test_incomplete_status_and_plain_text(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\nstatus: incomplete\n---\n\n"
            "- **Lead:** item\n\nStops at promises to\n"
        }
    )
    section = _load(root).sections[0]
    assert section.incomplete
    assert section.text == "Lead: item\n\nStops at promises to"


def test_footnote_ids_are_prefixed_by_section(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\n---\n\nText[^1].\n\n[^1]: Note.\n"})
    section = _load(root).sections[0]
    assert 'id="fnref-a-1" href="#fn-a-1"' in section.html  # the call, linked to its note
    assert '<aside class="footnote" id="fn-a-1"' in section.html
    assert 'href="#fnref-a-1" role="doc-backlink"' in section.html  # and back
    assert 'class="footnote" id="fn-a-1"' in section.print_html  # print: the note at its call


def test_a_second_load_parses_only_the_changed_section(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mxpublish.source.markdown import create_parser

    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\nOne [link](02-b.md).\n",
            "source/02-b.md": "---\ntitle: B\n---\n\nTwo.\n",
        }
    )
    md = create_parser()
    parsed: list[str] = []
    real = md.parse
    monkeypatch.setattr(md, "parse", lambda text, env=None: parsed.append(text) or real(text, env))
    first = load_publication(Project(root), md)
    (root / "source" / "02-b.md").write_text("---\ntitle: B\n---\n\nTwo, changed.\n")
    second = load_publication(Project(root), md)
    assert [t for t in parsed if "changed" in t] == [parsed[-1]]
    assert parsed.count(parsed[0]) == 1  # section A came from the memo the second time
    assert second.sections[0].html == first.sections[0].html  # its link resolved afresh
    assert "Two, changed." in second.sections[1].html


def test_a_missing_image_found_elsewhere_under_source_is_named(make_project: MakeProject) -> None:
    from mxpublish.errors import SourceError

    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\n![A red dot](../img/dot.png)\n",
            "source/img/dot.png": b"\x89PNG\r\n\x1a\n",
        }
    )
    with pytest.raises(SourceError) as caught:
        _load(root)
    (problem,) = caught.value.diagnostics
    assert problem.message == "image '../img/dot.png' not found (looked for img/dot.png)"
    assert problem.hint == "did you mean img/dot.png? (image paths are relative to source/)"
