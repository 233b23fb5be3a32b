"""The EPUB knows the printed page numbers: page N in the EPUB is where page N of the PDF starts."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import MakeProject
from helpers import EPUB_NS, XHTML, epub_xml, letters, pdf_body_text
from mxpublish.assemble.pagebreaks import add_page_breaks, page_list
from mxpublish.build import build
from mxpublish.model import PageStart
from mxpublish.verify.pages import check_page_list

pytestmark = pytest.mark.slow
OPF = "{http://www.idpf.org/2007/opf}"


def _text_after_marker(epub: Path, href: str) -> str:
    name, anchor = href.split("#")
    with zipfile.ZipFile(epub) as archive:
        xhtml = archive.read(f"EPUB/{name}").decode("utf-8")
    body = xhtml.split("<body", 1)[1]
    rest = body.split(f'id="{anchor}"', 1)[1]
    return re.sub(r"<[^>]+>", " ", rest.split(">", 1)[1])


def test_page_list_names_exactly_the_pdf_pages(briefing_build: dict[str, Path]) -> None:
    nav = epub_xml(briefing_build["epub"], "EPUB/nav.xhtml")
    page_nav = next(n for n in nav.iter(f"{XHTML}nav") if n.get(f"{EPUB_NS}type") == "page-list")
    entries = [(a.text, a.get("href")) for a in page_nav.iter(f"{XHTML}a")]
    pages = len(PdfReader(briefing_build["pdf"]).pages)
    assert [label for label, _ in entries] == [str(n) for n in range(1, pages + 1)]


def test_text_after_each_marker_is_the_top_of_that_pdf_page(
    briefing_build: dict[str, Path],
) -> None:
    nav = epub_xml(briefing_build["epub"], "EPUB/nav.xhtml")
    page_nav = next(n for n in nav.iter(f"{XHTML}nav") if n.get(f"{EPUB_NS}type") == "page-list")
    pdf_pages = pdf_body_text(briefing_build["pdf"])
    for anchor in page_nav.iter(f"{XHTML}a"):
        number = int(anchor.text or "0")
        after = letters(_text_after_marker(briefing_build["epub"], anchor.get("href", "")))[:20]
        top = pdf_pages[number - 1]
        assert len(after) == 20, number
        first_word_skipped = letters(top.split(None, 1)[1]) if " " in top else ""
        assert letters(top).startswith(after) or first_word_skipped.startswith(after), (
            number,
            after,
            top[:80],
        )


def test_markers_are_accessible_pagebreaks(briefing_build: dict[str, Path]) -> None:
    with zipfile.ZipFile(briefing_build["epub"]) as archive:
        text = archive.read("EPUB/text/03-historical-context.xhtml").decode()
    markers = re.findall(r"<span [^>]*doc-pagebreak[^>]*/>", text)
    assert markers
    for marker in markers:
        assert 'epub:type="pagebreak"' in marker
        number = re.search(r'id="page-(\d+)"', marker)
        assert number and f'aria-label="{number.group(1)}"' in marker


def test_page_break_source_metadata(briefing_build: dict[str, Path]) -> None:
    opf = epub_xml(briefing_build["epub"], "EPUB/content.opf")
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-US"
    props = {m.get("property"): m.text for m in opf.iter(f"{OPF}meta") if m.get("property")}
    assert props["pageBreakSource"].endswith("print edition (PDF, 2026-11-29)")
    source = opf.find(".//{http://purl.org/dc/elements/1.1/}source")
    assert source is not None and source.text == props["pageBreakSource"]


XHTML_DOC = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
    '<head><title>t</title></head><body><section id="s"><h1>Title</h1>'
    "<p>First <strong>bold words</strong> then confusion follows here.</p></section>"
    "</body></html>"
)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, "<p>{m}First"),
        (5, "<strong>{m}bold"),  # the page starts with the bold words
        (9, "<strong>bold {m}words"),
        (18, "then {m}confusion"),  # start of a word
        (22, "confusion {m}follows"),  # mid-word: after the split word
    ],
)
def test_marker_placement_inside_a_block(offset: int, expected: str) -> None:
    starts = [PageStart(7, "section", "s", 1, offset)]
    out = add_page_breaks({"a.xhtml": XHTML_DOC}, starts, {"s": "a.xhtml"}, "t.xhtml", "n.xhtml")
    marker = '<span epub:type="pagebreak" role="doc-pagebreak" id="page-7" aria-label="7"/>'
    assert expected.format(m=marker) in out["a.xhtml"]
    assert page_list(starts, {"s": "a.xhtml"}, "t", "n") == [(7, "a.xhtml#page-7")]


def test_unknown_section_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown section"):
        page_list([PageStart(3, "section", "missing")], {}, "t", "n")


def test_a_contents_of_several_pages_has_its_markers_in_page_order() -> None:
    nav = (
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        '<body><nav id="toc"><ol><li><a href="a.xhtml">A</a></li></ol></nav></body></html>'
    )
    starts = [PageStart(page, "contents") for page in (2, 3, 4)]
    out = add_page_breaks({"n.xhtml": nav}, starts, {}, "t.xhtml", "n.xhtml")["n.xhtml"]
    assert [int(n) for n in re.findall(r'id="page-(\d+)"', out)] == [2, 3, 4]
    assert out.index('id="page-4"') < out.index("<nav")


def test_a_later_contents_page_is_marked_at_the_entry_it_starts_with() -> None:
    nav = (
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        '<body><nav id="toc"><ol><li><a href="a.xhtml">A</a></li><li><a href="b.xhtml">B</a>'
        '<ol><li><a href="b.xhtml#deep">Deep</a></li></ol></li></ol></nav></body></html>'
    )
    starts = [
        PageStart(2, "contents"),
        PageStart(3, "contents", "b"),
        PageStart(4, "contents", "deep"),
    ]
    files = {"a": "a.xhtml", "b": "b.xhtml"}
    out = add_page_breaks({"n.xhtml": nav}, starts, files, "t.xhtml", "n.xhtml")["n.xhtml"]
    assert out.index('id="page-2"') < out.index("<nav")
    assert '<a href="b.xhtml"><span epub:type="pagebreak"' in out
    assert 'id="page-3" aria-label="3"/>B</a>' in out
    assert 'id="page-4" aria-label="4"/>Deep</a>' in out


def test_a_long_contents_is_paged_at_its_entries(make_project: MakeProject) -> None:
    """70 sections: the printed contents runs over several pages; each later page's marker
    is at the entry that page starts with, and the page list check finds it there."""
    files = {
        f"source/{n:02d}-part-{n}.md": f"---\ntitle: Part number {n}\n---\n\nText of part {n}.\n"
        for n in range(1, 71)
    }
    root = make_project(files)
    result = build(root, ["pdf", "epub"], root / "out")
    paths = {o.format: o.path for o in result.outputs}
    check = check_page_list(paths["epub"], paths["pdf"])
    assert check.verdict == "pass", check.findings
    with zipfile.ZipFile(paths["epub"]) as archive:
        nav = archive.read("EPUB/nav.xhtml").decode()
    later = re.findall(r'<a href="[^"]+"><span epub:type="pagebreak"[^>]*id="page-(\d+)"', nav)
    assert later and later == sorted(later)
