"""Checks across editions: the EPUB's printed page numbers against the PDF, and the fonts."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

from mxpublish import __version__
from mxpublish.verify.report import FAIL, PASS, SKIPPED, Check, Finding
from mxpublish.verify.text import letters, pdf_page_texts

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
#: Letters after a page marker that must be on that PDF page.
_PROBE = 20
#: What print may set between two words of the probe: a footnote or URL-note call number,
#: or the "(page N)" a cross-reference prints after its text.
_GAP = r"(?:\d{1,4}|page\d{1,4})?"


def _page_list(archive: zipfile.ZipFile) -> list[tuple[str, str]] | None:
    from lxml import etree

    names = [n for n in archive.namelist() if n.endswith("nav.xhtml")]
    if not names:
        return None
    nav = etree.fromstring(archive.read(names[0]))
    for element in nav.iter(f"{XHTML}nav"):
        if element.get(EPUB_TYPE) == "page-list":
            base = names[0].rsplit("/", 1)[0] + "/" if "/" in names[0] else ""
            return [
                ("".join(a.itertext()).strip(), base + (a.get("href") or ""))
                for a in element.iter(f"{XHTML}a")
            ]
    return None


def _after_marker(archive: zipfile.ZipFile, href: str) -> list[str]:
    """The words after a page marker, read with an XML parser (entities decoded, so a code
    span's ``&lt;em&gt;`` is ``<em>`` as print shows it), as comparison keys, until they
    hold ``_PROBE`` letters. Footnote calls are left out: print numbers notes its own way."""
    from lxml import etree

    name, _, anchor = href.partition("#")
    doc = etree.fromstring(archive.read(name))
    found = doc.xpath("//*[@id=$anchor]", anchor=anchor)
    if not found:
        return []
    texts = found[0].xpath(
        "following::text()[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '),"
        " ' footnote-ref ')])]"
    )
    words = " ".join(texts).split()
    if name.endswith("nav.xhtml"):  # the EPUB's contents lists no page numbers: its heading
        words = words[:1]
    keys: list[str] = []
    size = 0
    for word in words:
        key = _key(word)
        if key:
            keys.append(key[: _PROBE - size])
            size += len(keys[-1])
        if size >= _PROBE:
            break
    return keys


def _key(text: str) -> str:
    """Letters and digits, ligatures unfolded (NFKC: ``ﬁ`` is ``fi``)."""
    return letters(unicodedata.normalize("NFKC", text))


def _on_page(keys: list[str], page_text: str) -> bool:
    """The words in order on the page, with nothing between two of them but what print
    adds after a word: a URL-note or footnote-call number (line breaks, hyphens, quotes and
    spaces are not letters, so they never count)."""
    pattern = _GAP.join(re.escape(key) for key in keys)
    return re.search(pattern, _key(page_text)) is not None


def check_page_list(epub: Path, pdf: Path) -> Check:
    """The page list names pages 1…N of the PDF, and each marker is followed by text that is
    on that PDF page."""
    pages = pdf_page_texts(pdf)
    with zipfile.ZipFile(epub) as archive:
        entries = _page_list(archive)
        if entries is None:
            return Check(
                "page-list", "mxpublish", __version__, SKIPPED, "the EPUB has no page list"
            )
        findings = []
        labels = [label for label, _ in entries]
        expected = [str(n) for n in range(1, len(pages) + 1)]
        if labels != expected:
            findings.append(
                Finding(
                    f"page list names {len(labels)} pages ({', '.join(labels[:3])}…), "
                    f"the PDF has {len(pages)}",
                    epub.name,
                    None,
                    "PAGE-LIST-COUNT",
                )
            )
        for label, href in entries:
            if not label.isdigit() or not 1 <= int(label) <= len(pages):
                continue
            after = _after_marker(archive, href)
            if after and not _on_page(after, pages[int(label) - 1]):
                findings.append(
                    Finding(
                        f"the text after page marker {label} ({''.join(after)!r}) is not "
                        "on that PDF page",
                        href.split("#")[0],
                        int(label),
                        "PAGE-LIST-MISPLACED",
                    )
                )
    return Check(
        "page-list",
        "mxpublish",
        __version__,
        FAIL if findings else PASS,
        f"{len(entries)} page markers against {len(pages)} PDF pages",
        tuple(findings),
    )


def _theme_families() -> set[str]:
    from mxpublish.assemble.fonts import FACES

    return {letters(face.family) for face in FACES}


def _project_families(styles: Path) -> set[str]:
    """Families a project declares with @font-face in its own stylesheets."""
    found = set()
    for css in sorted(styles.glob("*.css")) if styles.is_dir() else []:
        for rule in re.findall(r"@font-face\s*{([^}]*)}", css.read_text(encoding="utf-8")):
            family = re.search(r"font-family\s*:\s*['\"]?([^;'\"]+)", rule)
            if family:
                found.add(letters(family.group(1)))
    return found


def check_fonts(pdf: Path, text: str, styles: Path) -> Check:
    """Every font in the PDF is embedded and is the publication's (no system fallback), and
    the publication's fonts have a glyph for every character of the source text."""
    import uharfbuzz as hb
    from pypdf import PdfReader

    from mxpublish.assemble.fonts import FACES

    allowed = _theme_families() | _project_families(styles)
    findings = []
    seen: set[str] = set()
    for number, page in enumerate(PdfReader(str(pdf)).pages, 1):
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            if name in seen:
                continue
            seen.add(name)
            descriptor = font
            if "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()
            descriptor = descriptor.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                findings.append(
                    Finding(f"font {name} is not embedded", pdf.name, number, "FONT-NOT-EMBEDDED")
                )
            family = letters(name.split("+", 1)[-1])
            if not any(family.startswith(a) for a in allowed):
                findings.append(
                    Finding(
                        f"font {name} is not one of the publication's fonts (a system fallback "
                        "for a character they lack?)",
                        pdf.name,
                        number,
                        "FONT-FOREIGN",
                    )
                )
    covered: set[int] = set()
    for face in FACES:
        covered |= set(hb.Face(hb.Blob.from_file_path(str(face.path))).unicodes)
    missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in covered})
    for ch in missing:
        findings.append(
            Finding(
                f"no glyph for {ch!r} (U+{ord(ch):04X}) in the publication's fonts",
                None,
                None,
                "FONT-GLYPH-MISSING",
            )
        )
    detail = (
        f"{len(seen)} fonts, all embedded and the publication's; "
        if not findings
        else f"{len(seen)} fonts; "
    )
    detail += f"{len(set(text))} distinct characters, {len(missing)} without a glyph"
    verdict = FAIL if findings else PASS
    return Check("fonts", "mxpublish", __version__, verdict, detail, tuple(findings))
