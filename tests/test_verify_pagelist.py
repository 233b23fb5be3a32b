"""The page-list check of `mxpublish verify`: each EPUB page marker is followed by text that is
on that PDF page. It must not cry wolf over what print adds or how the XHTML spells text, and
it must still catch a marker that is on the wrong page."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from conftest import MINIMAL_CONFIG
from mxpublish.build import build
from mxpublish.verify import FAIL, PASS
from mxpublish.verify.pages import _after_marker, _on_page, check_page_list
from mxpublish.verify.text import pdf_page_texts

XHTML_DOC = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>t</title></head><body>{body}</body></html>"""


def _archive(body: str) -> zipfile.ZipFile:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("EPUB/text/a.xhtml", XHTML_DOC.format(body=body))
    return zipfile.ZipFile(data)


def _probe(body: str) -> list[str]:
    return _after_marker(_archive(body), "EPUB/text/a.xhtml#page-2")


MARKER = '<span epub:type="pagebreak" id="page-2" aria-label="2"/>'


# --- the probe and the comparison, on small inputs ----------------------------------------


def test_the_probe_decodes_entities_as_print_shows_them() -> None:
    body = f"<p>Before.</p><p>{MARKER}Put <code>&lt;em&gt;</code> round the word x &lt; y.</p>"
    keys = _probe(body)
    assert "".join(keys) == "putemroundthewordxy"[:20]
    assert _on_page(keys, "Put <em> round the word x < y.\n3")
    assert "lt" not in "".join(keys)


def test_the_probe_reads_across_markup_and_leaves_out_footnote_calls() -> None:
    body = (
        f'<p><span class="x">{MARKER}Plain</span> <em>tex</em>t with a call'
        '<a class="footnote-ref" href="#n1"><sup>7</sup></a> in its middle.</p>'
    )
    keys = _probe(body)
    assert "7" not in "".join(keys)
    # print numbers its notes itself: the call reads 2 there
    assert _on_page(keys, "Plain text with a call2 in its middle.")


def test_print_additions_between_words_are_allowed() -> None:
    keys = ["visit", "the", "site", "for", "entry"]
    assert _on_page(keys, "Visit the site15 for entry 15 now.")  # a URL-note number
    assert _on_page(keys, "Visit the site (page 12) for entry")  # a cross-reference
    assert _on_page(keys, "Vis-\nit the\u00ad si\u00adte for en- try")  # hyphens, soft hyphens
    assert _on_page(["find", "the", "office"], "ﬁnd the oﬃce")  # ligatures as one character


def test_other_words_between_or_another_order_are_not_the_same_text() -> None:
    keys = ["visit", "the", "site", "for", "entry"]
    assert not _on_page(keys, "Visit the old site for entry 15 now.")
    assert not _on_page(keys, "Visit the site now, for entry")
    assert not _on_page(keys, "the site for entry. Visit")
    assert not _on_page(keys, "Visit the site12345 for entry")  # not a note number


def test_a_font_with_an_embedded_cmap_encoding_is_read_as_it_shows(tmp_path: Path) -> None:
    """WeasyPrint gives a font that lacks a glyph a CMap /Encoding; pypdf alone reads each of
    its characters as two wrong ones (and the check then cried wolf on every code block)."""
    from weasyprint import HTML

    from mxpublish.assemble.fonts import FACES

    code = next(face for face in FACES if face.family == "Source Code Pro")
    html = (
        f"<style>@font-face {{ font-family: T; src: url({code.path.as_uri()}); }}"
        "body { font-family: T; }</style><pre>/about/ \uf0c1 x &lt; y</pre>"
    )
    pdf = tmp_path / "cmap.pdf"
    HTML(string=html).write_pdf(pdf)
    from pypdf import PdfReader
    from pypdf.generic import StreamObject

    fonts = PdfReader(pdf).pages[0]["/Resources"]["/Font"].values()
    assert any(isinstance(f.get_object()["/Encoding"], StreamObject) for f in fonts)
    assert "/about/ \uf0c1 x < y" in pdf_page_texts(pdf)[0]


# --- a built book --------------------------------------------------------------------------


FIRST = ("amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "inlet", "juniper")
SECOND = (
    "lantern",
    "meadow",
    "nettle",
    "orchard",
    "pebble",
    "quarry",
    "ridge",
    "saddle",
    "thicket",
    "upland",
    "valley",
    "willow",
)


def _paragraph(n: int) -> str:
    """Paragraph ``n``: a name of its own near the start, so that no two page tops read alike,
    and within the first 20 letters an entity, a URL note or a note call."""
    name = f"{FIRST[n % 10]} {SECOND[n // 10]}"
    if n % 3 == 0:
        return f"Wrap `<em>` round {name} so it stands out."
    if n % 3 == 1:
        return f"[Visit {name}](https://example.org/p{n}) today, it is open."
    return f"Read the note[^n{n}] on {name} before lunch.\n\n[^n{n}]: A note on {name}."


@pytest.fixture(scope="module")
def hazards_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A book of several pages whose page tops hold entities, URL notes and note calls."""
    root = tmp_path_factory.mktemp("pagelist")
    (root / "source").mkdir()
    (root / "source/publication.yaml").write_text(MINIMAL_CONFIG, encoding="utf-8")
    text = "\n\n".join(_paragraph(n) for n in range(1, 120))
    (root / "source/01-items.md").write_text(f"---\ntitle: Items\n---\n\n{text}\n", "utf-8")
    result = build(root, ["pdf", "epub"], root / "build")
    return {output.format: output.path for output in result.outputs}


@pytest.mark.slow
def test_entities_and_url_notes_at_page_tops_pass(hazards_build: dict[str, Path]) -> None:
    epub, pdf = hazards_build["epub"], hazards_build["pdf"]
    pages = pdf_page_texts(pdf)
    assert len(pages) >= 4
    assert any(re.search(r"Visit \w+ \w+\d+ today", page) for page in pages)  # URL notes
    with zipfile.ZipFile(epub) as archive:
        xhtml = archive.read("EPUB/text/01-items.xhtml").decode()
        probes = [
            "".join(_after_marker(archive, f"EPUB/text/01-items.xhtml#page-{n}"))
            for n in range(2, len(pages) + 1)
        ]
    assert "&lt;em&gt;" in xhtml
    assert any("wrapemround" in probe for probe in probes), probes
    assert any(probe.startswith("visit") for probe in probes), probes
    check = check_page_list(epub, pdf)
    assert check.verdict == PASS, check.findings


@pytest.mark.slow
def test_a_marker_on_the_wrong_page_is_still_reported(
    hazards_build: dict[str, Path], tmp_path: Path
) -> None:
    """The page list with every label one page early (label N leads to page N+1's marker)."""
    epub = tmp_path / "shifted.epub"
    with (
        zipfile.ZipFile(hazards_build["epub"]) as source,
        zipfile.ZipFile(epub, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("nav.xhtml"):
                text = data.decode()
                text = re.sub(
                    r'href="([^"]*#page-)(\d+)"',
                    lambda m: f'href="{m[1]}{int(m[2]) + 1}"' if int(m[2]) > 1 else m[0],
                    text,
                )
                data = text.encode()
            target.writestr(item, data)
    pages = len(pdf_page_texts(hazards_build["pdf"]))
    check = check_page_list(epub, hazards_build["pdf"])
    assert check.verdict == FAIL
    misplaced = [f for f in check.findings if f.rule == "PAGE-LIST-MISPLACED"]
    # the body's pages 3…N-1 now lead to the next page's text; page 2 (the contents, in
    # nav.xhtml) and page N lead to a marker that does not exist, which EPUBCheck reports
    assert pages >= 5
    assert {f.page for f in misplaced} == set(range(3, pages)), check.findings
