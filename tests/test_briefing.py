"""End to end: the briefing built from this repository, read back as a reader would."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from helpers import (
    EPUB_NS,
    XHTML,
    assert_rebuilt_identically_in_another_process,
    briefing_parts,
    element_text,
    epub_xml,
    letters,
    normalize,
    pdf_body_text,
    pdf_font_names,
    run_epubcheck,
)

pytestmark = pytest.mark.slow
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
EDITOR_NOTE = "Editor’s note The source text ends here, mid-sentence."


def _outline_titles(reader: PdfReader) -> list[str]:
    return [item.title for item in reader.outline if not isinstance(item, list)]


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_outline_has_one_bookmark_per_section(briefing_build: dict[str, Path]) -> None:
    reader = PdfReader(briefing_build["pdf"])
    _, parts = briefing_parts()
    expected = [" ".join(normalize(p.heading)) for p in parts]
    assert [" ".join(normalize(t)) for t in _outline_titles(reader)] == expected


def test_pdf_metadata_language_and_tags(briefing_build: dict[str, Path]) -> None:
    reader = PdfReader(briefing_build["pdf"])
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "US Troops In Mexico: What’s Happening In 2024?"
    assert meta.author == "mxpublish Editorial Desk"
    assert meta["/Creator"] == "mxpublish 0.1.0"
    assert "counternarcotics" in meta["/Keywords"]
    assert meta.subject and meta.subject.startswith("A briefing on US military personnel")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-US"
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert "/StructTreeRoot" in root
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp


def test_pdf_fonts_are_the_projects_and_embedded(briefing_build: dict[str, Path]) -> None:
    fonts = pdf_font_names(briefing_build["pdf"])  # asserts that each one is embedded
    assert fonts, "no fonts found"
    assert all(name.startswith(("Source-Serif-Pro", "Source-Sans-Pro")) for name in fonts), fonts
    assert any(name.startswith("Source-Serif-Pro") for name in fonts)
    assert any(name.startswith("Source-Sans-Pro") for name in fonts)


def test_pdf_text_is_the_source_text_no_more_no_less(briefing_build: dict[str, Path]) -> None:
    """Pages 3 on hold exactly the sections' headings and text, then the editor's note."""
    pages = pdf_body_text(briefing_build["pdf"], first_page=3)
    _, parts = briefing_parts()
    expected = "".join(letters(p.heading) + letters("".join(p.paragraphs)) for p in parts)
    expected += letters(
        EDITOR_NOTE + " Nothing has been added or inferred; the rest of this "
        "section was not supplied."
    )
    assert letters("".join(pages)) == expected


def test_pdf_title_page_and_contents_page_numbers(briefing_build: dict[str, Path]) -> None:
    reader = PdfReader(briefing_build["pdf"])
    title_page = " ".join(reader.pages[0].extract_text().split())
    assert "US Troops In Mexico: What’s Happening In 2024?" in title_page
    assert "mxpublish Editorial Desk" in title_page
    assert "November 29, 2026" in title_page
    assert "Page 1" not in title_page  # no running head or footer on the title page
    contents = reader.pages[1].extract_text()
    assert contents.lstrip().startswith("US Troops In Mexico") or "Contents" in contents
    body = pdf_body_text(briefing_build["pdf"])
    _, parts = briefing_parts()
    for part in parts:
        heading = " ".join(normalize(part.heading))
        pattern = re.escape(heading).replace(r"\ ", r"\s+")
        pattern += r"[\s.]*?(?:SOURCE INCOMPLETE)?[\s.]*(\d+)"
        match = re.search(pattern, " ".join(normalize(contents)))
        assert match, f"{heading!r} not in contents"
        page = int(match.group(1))
        assert letters(part.heading) in letters(body[page - 1]), (heading, page)


def test_pdf_running_heads_and_page_x_of_y(briefing_build: dict[str, Path]) -> None:
    reader = PdfReader(briefing_build["pdf"])
    total = len(reader.pages)
    for number, page in enumerate(reader.pages[1:], 2):
        text = page.extract_text()
        assert f"Page {number} of {total}" in text
        assert "US Troops In Mexico" in text


def test_pdf_internal_links_from_contents(briefing_build: dict[str, Path]) -> None:
    reader = PdfReader(briefing_build["pdf"])
    annotations = [a.get_object() for a in reader.pages[1].get("/Annots", [])]
    links = [a for a in annotations if a["/Subtype"] == "/Link"]
    _, parts = briefing_parts()
    assert len(links) >= len(parts)
    assert all("/Dest" in link or "/A" in link for link in links)


# --- EPUB --------------------------------------------------------------------------------


def test_epub_passes_epubcheck_with_no_warnings(briefing_build: dict[str, Path]) -> None:
    report = run_epubcheck(briefing_build["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


def test_epub_metadata(briefing_build: dict[str, Path]) -> None:
    opf = epub_xml(briefing_build["epub"], "EPUB/content.opf")
    metadata = opf.find(f"{OPF}metadata")
    assert metadata is not None

    def dc(name: str) -> list[str]:
        return [e.text or "" for e in metadata.findall(f"{DC}{name}")]

    assert dc("identifier") == ["urn:uuid:bfa68937-5590-49a4-b470-af07f66dc09f"]
    assert dc("title") == ["US Troops In Mexico: What’s Happening In 2024?"]
    assert dc("language") == ["en-US"]
    assert dc("creator") == ["mxpublish Editorial Desk"]
    assert dc("publisher") == ["mxpublish Editorial Desk"]
    assert dc("rights") and dc("description")
    assert "sovereignty" in dc("subject")
    props = {}
    for meta in metadata.findall(f"{OPF}meta"):
        if meta.get("property"):
            props.setdefault(meta.get("property"), []).append(meta.text)
    assert props["dcterms:modified"] == ["2026-11-29T00:00:00Z"]
    for key in (
        "schema:accessMode",
        "schema:accessModeSufficient",
        "schema:accessibilityFeature",
        "schema:accessibilityHazard",
        "schema:accessibilitySummary",
        "dcterms:conformsTo",
    ):
        assert props.get(key), key
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    summary = props["schema:accessibilitySummary"][0]
    assert "EPUBCheck" in summary and "Ace by DAISY" in summary and "target-size" in summary


def test_epub_text_matches_the_source_word_for_word(briefing_build: dict[str, Path]) -> None:
    epub = briefing_build["epub"]
    _, parts = briefing_parts()
    with zipfile.ZipFile(epub) as archive:
        names = sorted(
            n
            for n in archive.namelist()
            if re.match(r"EPUB/text/\d", n)  # the sections, not the cover or title page
        )
    assert len(names) == len(parts)
    for name, part in zip(names, parts, strict=True):
        root = epub_xml(epub, name)
        assert root.get("lang") == "en-US"
        section = root.find(f".//{XHTML}section")
        assert section is not None and section.get(f"{EPUB_NS}type") == "chapter"
        words = normalize(element_text(section, skip_class="editor-note"))
        assert words == normalize(part.heading + " " + " ".join(part.paragraphs)), name


def test_epub_last_section_has_the_editors_note(briefing_build: dict[str, Path]) -> None:
    with zipfile.ZipFile(briefing_build["epub"]) as archive:
        last = sorted(n for n in archive.namelist() if n.startswith("EPUB/text/0"))[-1]
    root = epub_xml(briefing_build["epub"], last)
    notes = [e for e in root.iter(f"{XHTML}aside") if "editor-note" in (e.get("class") or "")]
    assert len(notes) == 1
    assert notes[0].get("role") == "note"
    assert " ".join(element_text(notes[0]).split()).startswith(EDITOR_NOTE)


def test_epub_nav_has_toc_and_landmarks(briefing_build: dict[str, Path]) -> None:
    nav = epub_xml(briefing_build["epub"], "EPUB/nav.xhtml")
    types = [n.get(f"{EPUB_NS}type") for n in nav.iter(f"{XHTML}nav")]
    assert types[:2] == ["toc", "landmarks"]
    toc = next(n for n in nav.iter(f"{XHTML}nav") if n.get(f"{EPUB_NS}type") == "toc")
    labels = [" ".join(element_text(a).split()) for a in toc.iter(f"{XHTML}a")]
    _, parts = briefing_parts()
    assert [" ".join(normalize(x)) for x in labels] == [
        " ".join(normalize(p.heading)) for p in parts
    ]


def test_epub_fonts_embedded_and_declared(briefing_build: dict[str, Path]) -> None:
    with zipfile.ZipFile(briefing_build["epub"]) as archive:
        fonts = [n for n in archive.namelist() if n.startswith("EPUB/fonts/")]
        css = archive.read("EPUB/styles/epub.css").decode()
    assert len(fonts) >= 4
    for font in fonts:
        assert f'url("../fonts/{font.rsplit("/", 1)[1]}")' in css


def test_epub_zip_layout(briefing_build: dict[str, Path]) -> None:
    with zipfile.ZipFile(briefing_build["epub"]) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == zipfile.ZIP_STORED
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)


# --- HTML --------------------------------------------------------------------------------


def test_html_is_self_contained_and_complete(briefing_build: dict[str, Path]) -> None:
    html = briefing_build["html"].read_text(encoding="utf-8")
    assert '<html lang="en-US">' in html
    assert "@font-face" in html and "data:font/otf;base64," in html
    assert "<link" not in html and "<script" not in html and "http" not in html.split("<main")[1]
    _, parts = briefing_parts()
    text = re.sub(r"<[^>]+>", " ", html.split('<main id="main">')[1])
    text = text.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
    for part in parts:
        for paragraph in part.paragraphs:
            assert " ".join(normalize(paragraph)) in " ".join(normalize(text))
    assert "The source text ends here, mid-sentence." in html


def test_builds_are_byte_identical(briefing_build: dict[str, Path], tmp_path: Path) -> None:
    """Reproducible across processes, not only within one (where caches could hide a
    difference)."""
    assert_rebuilt_identically_in_another_process(briefing_build["root"], briefing_build, tmp_path)
