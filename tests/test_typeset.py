"""End to end: tests/projects/typeset, the hazards of real technical books (long code lines,
terminal sessions, a twelve-column table, words too long for any column, Greek, Cyrillic,
arrows, mathematics, emoji, huge images), built once and measured on the pages."""

from __future__ import annotations

import io
import random
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from helpers import (
    PdfBox,
    assert_rebuilt_identically_in_another_process,
    pdf_boxes,
    pdf_font_names,
    run_epubcheck,
)

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).parent / "projects" / "typeset"
# The text block of a Letter page with the theme's margins, in pt.
LEFT, RIGHT = 1.45 * 72, (8.5 - 1.45) * 72
TOP, BOTTOM = 0.95 * 72, (11 - 0.9) * 72
#: The families the theme ships (PDF names drop the spaces' hyphens and add a style).
PROJECT_FONTS = (
    "Source-Serif-Pro",
    "Source-Sans-Pro",
    "Source-Code-Pro",
    "Noto-Serif",
    "Noto-Sans",
    "STIX-Two-Math",
    "Noto-Sans-Symbols",
    "Noto-Emoji",
    "DejaVu-Sans-Mono",
)
SIZES = {"wide.png": (4000, 600), "tall.png": (500, 5000), "photo.jpg": (3000, 2000)}
TWELVE = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliett",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
]
LONG_WORDS = [
    "internationalization",
    "telecommunications",
    "incomprehensibilities",
    "counterrevolutionaries",
    "electroencephalograms",
    "institutionalization",
    "uncharacteristically",
]


def write_images(folder: Path) -> None:
    """The fixture's images, drawn here (deterministically) rather than kept in the repo."""
    folder.mkdir(parents=True, exist_ok=True)
    wide = Image.new("RGB", SIZES["wide.png"], (31, 58, 95))
    ImageDraw.Draw(wide).rectangle((100, 100, 3900, 500), outline=(255, 255, 255), width=20)
    wide.save(folder / "wide.png")
    tall = Image.new("RGB", SIZES["tall.png"], (37, 97, 42))
    ImageDraw.Draw(tall).ellipse((50, 50, 450, 4950), outline=(255, 255, 255), width=20)
    tall.save(folder / "tall.png")
    rng = random.Random(7)
    small = Image.frombytes("RGB", (300, 200), rng.randbytes(300 * 200 * 3))
    small.resize(SIZES["photo.jpg"]).save(folder / "photo.jpg", quality=92)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The publication in all three formats; any warning (WeasyPrint's too) fails it."""
    from mxpublish.build import build

    root = tmp_path_factory.mktemp("typeset")
    shutil.copytree(PROJECT / "source", root / "source")
    write_images(root / "source" / "images")
    result = build(root, out_dir=root / "build")
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    outputs = {output.format: output.path for output in result.outputs}
    outputs["root"] = root
    return outputs


@pytest.fixture(scope="module")
def boxes(built: dict[str, Path]) -> list[PdfBox]:
    return pdf_boxes(built["pdf"])


def _chars(path: Path) -> list[tuple[int, str, str, int, float, float]]:
    """Every glyph drawn: (page, text, font name, CID, x0, x1), read with pdfminer."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    found: list[tuple[int, str, str, int, float, float]] = []

    class Recorder(PDFPageAggregator):
        page_number = 0

        def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):  # type: ignore[no-untyped-def]
            width = super().render_char(
                matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate
            )
            char = self.cur_item._objs[-1]
            found.append((self.page_number, char.get_text(), font.fontname, cid, char.x0, char.x1))
            return width

    manager = PDFResourceManager()
    device = Recorder(manager, laparams=LAParams())
    interpreter = PDFPageInterpreter(manager, device)
    with path.open("rb") as handle:
        for number, page in enumerate(PDFPage.get_pages(handle), 1):
            device.page_number = number
            interpreter.process_page(page)
    return found


@pytest.fixture(scope="module")
def chars(built: dict[str, Path]) -> list[tuple[int, str, str, int, float, float]]:
    return _chars(built["pdf"])


# --- code ------------------------------------------------------------------------------------


def _page_widths(path: Path) -> list[float]:
    from pypdf import PdfReader

    return [float(page.mediabox.width) for page in PdfReader(str(path)).pages]


def test_no_line_crosses_the_right_margin(built: dict[str, Path], boxes: list[PdfBox]) -> None:
    widths = _page_widths(built["pdf"])
    text = [b for b in boxes if b.text]
    assert text
    over = [
        (b.page, b.text, round(b.right, 1))
        for b in text
        if b.right > widths[b.page - 1] - LEFT + 0.5 or b.left < LEFT - 0.5
    ]
    assert not over, over


def test_code_is_set_in_the_mono_face(chars: list[tuple[int, str, str, int, float, float]]) -> None:
    pages = [p for p, _, font, *_ in chars if "Source-Code-Pro" in font]
    assert pages, "no code glyphs found"
    fonts_at = [f.split("+", 1)[-1] for _, t, f, *_ in chars for _ in t]  # one per character
    text = "".join(t for _, t, *_ in chars)
    for sample in ("with_capacity(16)", "--release", "ParseIntError", "indentation"):
        start = text.index(sample)
        fonts = set(fonts_at[start : start + len(sample)])
        assert all(f.startswith("Source-Code-Pro") for f in fonts), (sample, fonts)


def test_long_code_lines_wrap_whole_with_a_continuation_mark(built: dict[str, Path]) -> None:
    from helpers import letters, pdf_body_text

    body = letters("".join(pdf_body_text(built["pdf"])))
    source = (PROJECT / "source" / "01-code.md").read_text(encoding="utf-8")
    for line in source.splitlines():
        if len(line) > 80:  # wider than the measure: wrapped, every character kept in order
            assert letters(line) in body, line
    html = built["html"].read_text(encoding="utf-8")
    assert html.count('<span class="line">') == 14  # one per source line of the code blocks
    assert 'class="code highlight console"' in html and 'class="code highlight output"' in html


# --- tables ----------------------------------------------------------------------------------


def test_table_words_are_never_cut_without_a_hyphen(boxes: list[PdfBox]) -> None:
    tokens = [t for b in boxes for t in b.text.split()]
    for word in TWELVE:  # short words at a smaller size: whole, every one
        assert word in tokens, word
    head = next(b for b in boxes if b.text.startswith("Identifier"))
    end = next(
        b for b in boxes if b.page == head.page and b.top > head.top and "Long numbers" in b.text
    )
    cells = [
        t
        for b in boxes
        if b.page == head.page and head.top < b.top < end.top
        for t in b.text.split()
    ]
    assert cells
    heads = [t[:-1] for t in cells if t.endswith("-")]
    for token in cells:  # too long for any column: whole, or cut only after a hyphen
        if token in LONG_WORDS or token.endswith("-"):
            continue
        assert any(
            h + token in LONG_WORDS or any(h + m + token in LONG_WORDS for m in heads)
            for h in heads
        ), (token, cells)
    for word in LONG_WORDS:
        assert word in cells or any(word.startswith(h) for h in heads), word


def test_a_table_too_wide_for_the_page_is_set_in_landscape(
    built: dict[str, Path], boxes: list[PdfBox]
) -> None:
    widths = _page_widths(built["pdf"])
    head = next(b for b in boxes if b.text.startswith("Serial A"))
    assert widths[head.page - 1] == pytest.approx(11 * 72)  # the page is turned
    assert [w for w in widths if w > 8.5 * 72] == [widths[head.page - 1]]  # and only that one
    numbers = [
        t
        for b in boxes
        if b.page == head.page
        for t in b.text.split()
        if t.isdigit() and len(t) > 9
    ]
    assert numbers == [f"40001234567890{n}" for n in range(10, 17)]
    portrait = next(b for b in boxes if b.text.startswith("The section ends here"))
    assert portrait.page != head.page
    heading = next(b for b in boxes if b.text.startswith("Serial numbers"))
    assert heading.page == head.page  # the table's heading is set on its page, not left behind
    intro = next(b for b in boxes if b.text.startswith("Long numbers"))
    assert intro.page == head.page - 1


# --- scripts and symbols ---------------------------------------------------------------------


def test_every_character_has_a_real_glyph_in_a_project_font(
    built: dict[str, Path], chars: list[tuple[int, str, str, int, float, float]]
) -> None:
    fonts = pdf_font_names(built["pdf"])  # asserts each one is embedded
    assert all(f.startswith(PROJECT_FONTS) for f in fonts), fonts
    for family in ("STIX-Two-Math", "Noto-Emoji", "Noto-Serif", "Source-Code-Pro"):
        assert any(f.startswith(family) for f in fonts), (family, fonts)
    notdef = [(p, t, f) for p, t, f, cid, *_ in chars if cid == 0]
    assert not notdef, notdef[:10]
    drawn = "".join(t for _, t, *_ in chars)
    source = (PROJECT / "source" / "03-scripts.md").read_text(encoding="utf-8")
    for char in {c for c in source if ord(c) > 0x7F} - {"\ufe0f"}:
        assert char in drawn, (char, hex(ord(char)))


def test_epub_and_html_embed_the_fallbacks_they_need(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["epub"]) as archive:
        fonts = {n.rsplit("/", 1)[1] for n in archive.namelist() if n.startswith("EPUB/fonts/")}
        css = archive.read("EPUB/styles/epub.css").decode()
    for name in ("SourceCodePro-400.ttf", "STIXTwoMath-400.otf", "NotoEmoji-400.ttf"):
        assert name in fonts
    for name in fonts:
        assert f'url("../fonts/{name}")' in css
    html = built["html"].read_text(encoding="utf-8")
    assert 'font-family: "Noto Emoji"' in html and 'font-family: "Source Code Pro"' in html


def test_check_finds_no_missing_glyph_here(built: dict[str, Path]) -> None:
    from mxpublish.check import check_project

    assert not [d for d in check_project(built["root"]) if d.code == "GLYPH-MISSING"]


# --- images ----------------------------------------------------------------------------------


def test_images_stay_in_the_text_block_with_their_aspect_ratio(boxes: list[PdfBox]) -> None:
    images = [b for b in boxes if not b.text]
    assert len(images) == 3
    ratios = sorted((b.right - b.left) / (b.bottom - b.top) for b in images)
    expected = sorted(w / h for w, h in SIZES.values())
    for got, want in zip(ratios, expected, strict=True):
        assert got == pytest.approx(want, rel=0.02)
    for b in images:
        assert b.left >= LEFT - 0.5 and b.right <= RIGHT + 0.5, b
        assert b.top >= TOP - 0.5 and b.bottom <= BOTTOM + 0.5, b


def test_large_images_are_downsampled_for_screens(built: dict[str, Path]) -> None:
    original = (built["root"] / "source" / "images" / "photo.jpg").read_bytes()
    with zipfile.ZipFile(built["epub"]) as archive:
        name = next(n for n in archive.namelist() if n.endswith("photo.jpg"))
        packed = archive.read(name)
        wide = Image.open(
            io.BytesIO(archive.read(next(n for n in archive.namelist() if n.endswith("wide.png"))))
        )
    assert len(packed) < len(original)
    assert Image.open(io.BytesIO(packed)).size == (2000, 1333)
    assert wide.size == (2000, 300)
    html = built["html"].read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/', html)) == 3


def test_epub_is_valid(built: dict[str, Path]) -> None:
    report = run_epubcheck(built["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


def test_builds_are_byte_identical(built: dict[str, Path], tmp_path: Path) -> None:
    """Fallback faces, static instances of variable fonts and scaled images included."""
    assert_rebuilt_identically_in_another_process(built["root"], built, tmp_path)
