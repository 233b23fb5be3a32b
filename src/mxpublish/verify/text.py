"""Text retention: every word of the source is in each edition, in order.

Words are compared as their letters and digits, lower-cased, so hyphenation, line breaks and
typographic quotes do not count. The body of each section must appear as one ordered run (other
text may come between: page numbers, running heads, "(page N)", printed URLs). Notes and
captions move (print sets notes at the foot of the page, a table's caption may be printed
before or after it), so each is looked for as a run of its own anywhere in the edition.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mxpublish import __version__
from mxpublish.model import Publication
from mxpublish.verify.report import FAIL, PASS, Check, Finding

if TYPE_CHECKING:
    from pypdf import PageObject

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_NOT_LETTER = re.compile(r"[\W_]+")
#: Letters allowed between two consecutive words of a run: a page of notes, heads and footers.
BODY_GAP = 6000
#: The same inside a note or a caption, which can still cross a page break.
MOVED_GAP = 600
#: Captions move; note calls (print and screen number them differently), back links and
#: caption labels are left out everywhere.
_SKIP_TAGS = {"caption", "figcaption"}
_LABELS = {"footnote-ref", "footnote-back", "caption-label"}


def normalize(text: str) -> list[str]:
    """Words with typographic quotes made straight (the typographer's only change)."""
    return text.translate(_QUOTES).split()


def letters(text: str) -> str:
    """Letters and digits only, lower-cased: survives hyphenation and line breaks."""
    return _NOT_LETTER.sub("", text.lower())


@dataclass(frozen=True)
class Run:
    """Words that must appear in order: a section's body, or one note or caption of it."""

    file: str
    kind: str  # body, note, caption
    words: tuple[str, ...]  # as written, for messages


def source_runs(publication: Publication) -> list[Run]:
    """The runs of every section, from its screen HTML (the Markdown as rendered)."""
    from lxml import html as lxml_html

    runs: list[Run] = []
    for section in publication.sections:
        root = lxml_html.fragment_fromstring(section.html or "<p></p>", create_parent="div")
        body = [section.title, *_texts(root, skip=True)]
        runs.append(Run(section.source, "body", tuple(" ".join(body).split())))
        for element in root.iter():
            classes = set((element.get("class") or "").split())
            kind = "note" if "footnote" in classes and element.tag == "aside" else None
            kind = kind or ("caption" if element.tag in _SKIP_TAGS else None)
            if kind:
                words = " ".join(_texts(element, skip=False, top=True)).split()
                if any(letters(w) for w in words):
                    runs.append(Run(section.source, kind, tuple(words)))
    return runs


def _texts(element: object, *, skip: bool, top: bool = False) -> Iterator[str]:
    """Text of ``element`` in order; with ``skip`` the moved parts are left out, and the
    labels and back links always are."""
    tag = getattr(element, "tag", None)
    classes = set((getattr(element, "get")("class") or "").split()) if tag else set()  # noqa: B009
    leave_out = classes & _LABELS or (skip and (tag in _SKIP_TAGS or classes & {"footnotes"}))
    if not leave_out:
        if getattr(element, "text", None):
            yield element.text  # type: ignore[attr-defined]
        for child in element:  # type: ignore[attr-defined]
            yield from _texts(child, skip=skip)
    if not top and getattr(element, "tail", None):
        yield element.tail  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EditionText:
    """An edition's text as letters, with where each page or file begins in them."""

    letters: str
    marks: tuple[tuple[int, str, int | None], ...]  # (offset, file, page)

    def where(self, offset: int) -> tuple[str, int | None]:
        found: tuple[str, int | None] = ("", None)
        for start, file, page in self.marks:
            if start > offset:
                break
            found = (file, page)
        return found


def pdf_page_texts(pdf: Path) -> list[str]:
    """The text of each PDF page, as pypdf extracts it.

    WeasyPrint gives a font that lacks a glyph the text asks for an embedded CMap as its
    /Encoding (two-byte codes, the missing one sent to .notdef). pypdf reads any such stream
    as a one-byte StandardEncoding and turns every code of that font into two wrong
    characters, so a code block reads "B˙ a b o u tB˙" for "/about/". The text itself is in
    the font's /ToUnicode, keyed by those same codes: read as Identity-H (in memory only),
    the font extracts as it shows."""
    from pypdf import PdfReader

    pages = PdfReader(str(pdf)).pages
    for page in pages:
        _read_cmap_encodings_as_identity(page)
    return [page.extract_text() for page in pages]


def _read_cmap_encodings_as_identity(page: PageObject) -> None:
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    resources = page.get("/Resources")
    fonts = resources.get_object().get("/Font", {}) if resources is not None else {}
    for ref in fonts.values():
        font = ref.get_object()
        if not isinstance(font, DictionaryObject) or font.get("/Subtype") != "/Type0":
            continue
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        if isinstance(encoding, StreamObject) and "/ToUnicode" in font:
            ranges = re.search(
                rb"begincodespacerange(.*?)endcodespacerange", encoding.get_data(), re.S
            )
            if ranges and all(len(code) == 4 for code in re.findall(rb"<(\w+)>", ranges[1])):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")


def pdf_text(pdf: Path) -> EditionText:
    chunks, marks, size = [], [], 0
    for number, page_text in enumerate(pdf_page_texts(pdf), 1):
        text = letters(page_text)
        marks.append((size, pdf.name, number))
        chunks.append(text)
        size += len(text)
    return EditionText("".join(chunks), tuple(marks))


def epub_text(epub: Path) -> EditionText:
    """The EPUB's documents in spine order (the navigation document left out)."""
    from lxml import etree

    opf_ns = "{http://www.idpf.org/2007/opf}"
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_path))
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        items = {i.get("id"): i for i in opf.iter(f"{opf_ns}item")}
        chunks, marks, size = [], [], 0
        for ref in opf.iter(f"{opf_ns}itemref"):
            item = items[ref.get("idref")]
            if "nav" in (item.get("properties") or ""):
                continue
            doc = etree.fromstring(archive.read(base + item.get("href")))
            body = doc.find("{http://www.w3.org/1999/xhtml}body")
            text = letters(" ".join(body.itertext()) if body is not None else "")
            marks.append((size, item.get("href"), None))
            chunks.append(text)
            size += len(text)
    return EditionText("".join(chunks), tuple(marks))


def html_text(path: Path) -> EditionText:
    from lxml import html as lxml_html

    root = lxml_html.fromstring(path.read_bytes())
    main = root.find(".//main")
    node = main if main is not None else root
    return EditionText(letters(" ".join(node.itertext())), ((0, path.name, None),))


def _match(words: Iterable[str], edition: str, start: int, gap: int) -> tuple[int, int, str]:
    """Find ``words`` in order from ``start``, each within ``gap`` letters of the previous
    one. Returns (index of the first word not found or -1, offset reached, that word)."""
    position = start
    first = True
    for index, word in enumerate(words):
        key = letters(word)
        if not key:
            continue
        limit = len(edition) if first and gap == BODY_GAP else position + gap + len(key)
        end = _find_word(key, edition, position, limit, gap)
        if end < 0:
            return index, position, word
        position = end
        first = False
    return -1, position, ""


#: A word found further than this from the previous one may have been split instead.
_NEAR = 40


def _find_word(key: str, edition: str, position: int, limit: int, gap: int) -> int:
    """End offset of ``key`` found from ``position``, or -1. A word hyphenated across a page
    break has the page's notes, foot and head between its halves: when the whole word is not
    near, a split one that starts earlier wins."""
    found = edition.find(key, position, limit)
    if 0 <= found <= position + _NEAR:
        return found + len(key)
    best = found + len(key) if found >= 0 else -1
    for cut in range(len(key) - 1, 1, -1):  # the longest first half that is near
        head = edition.find(key[:cut], position, position + _NEAR + cut)
        if head < 0 or (found >= 0 and head >= found):
            continue
        tail = edition.find(key[cut:], head + cut, head + cut + gap + len(key))
        if tail >= 0 and (best < 0 or head < found):
            return tail + len(key) - cut
    return best


def _find_moved(run: Run, edition: str) -> bool:
    keys = [letters(w) for w in run.words if letters(w)]
    if not keys:
        return True
    head = keys[0]
    start = edition.find(head)
    while start >= 0:
        missing, _, _ = _match(run.words, edition, start, MOVED_GAP)
        if missing < 0:
            return True
        start = edition.find(head, start + 1)
    return False


def check_retention(name: str, runs: list[Run], edition: EditionText) -> Check:
    """Every body run in order through the edition; every note and caption somewhere in it."""
    findings = []
    position = 0
    for run in runs:
        if run.kind != "body":
            continue
        missing, reached, word = _match(run.words, edition.letters, position, BODY_GAP)
        if missing >= 0:
            file, page = edition.where(reached)
            context = " ".join(run.words[max(0, missing - 4) : missing + 5])
            findings.append(
                Finding(
                    f"{run.file}: the word {word!r} is missing after "
                    f"{file or 'the start'} (source: …{context}…)",
                    file or None,
                    page,
                    "TEXT-DROPPED",
                )
            )
            continue  # the next section starts from where this one stopped matching
        position = reached
    for run in runs:
        if run.kind != "body" and not _find_moved(run, edition.letters):
            findings.append(
                Finding(
                    f"{run.file}: a {run.kind} is missing: "
                    f"“{' '.join(run.words[:12])}{'…' if len(run.words) > 12 else ''}”",
                    None,
                    None,
                    f"TEXT-{run.kind.upper()}-DROPPED",
                )
            )
    words = sum(len(r.words) for r in runs)
    detail = f"{words} source words in {len(runs)} runs; {len(findings)} not found in order"
    return Check(
        f"text-retention:{name}",
        "mxpublish",
        __version__,
        FAIL if findings else PASS,
        detail,
        tuple(findings),
    )
