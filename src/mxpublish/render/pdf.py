"""Print HTML → PDF with WeasyPrint: laid out once, resources confined to the project."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from mxpublish.editions import DEFAULT_PDF_VARIANT, PDF, PDF_VARIANTS
from mxpublish.errors import Diagnostic, RenderError, UsageError, error, warning
from mxpublish.model import BLOCK_TAGS, PageStart, Publication
from mxpublish.project import Project
from mxpublish.render.conformance import PDFA_CSS, is_pdfa, write_conforming
from mxpublish.render.weasyprint_env import captured_logs, folded, only_shipped_fonts

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class PdfResult:
    """The PDF (empty when only laid out), its page count, the page map and warnings."""

    data: bytes
    pages: int
    page_starts: tuple[PageStart, ...]
    diagnostics: tuple[Diagnostic, ...]
    #: Each element id and the page (from 1) where it is first laid out.
    anchors: tuple[tuple[str, int], ...] = ()


def anchor_pages(document: Any) -> tuple[tuple[str, int], ...]:
    """Where each id lands: the first page whose ``anchors`` name it (WeasyPrint's public
    ``Page.anchors``), so page numbers can be resolved across separately laid-out parts."""
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for name in page.anchors:
            found.setdefault(name, number)
    return tuple(found.items())


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def page_starts(document: Any) -> tuple[PageStart, ...]:
    """Where each laid-out page begins: the first text drawn in its page area.

    Text in margin boxes, generated content (``::before``, markers, leaders) and footnotes is
    not counted, since the EPUB has none of it in the same place; nor is a table header or
    footer repeated on a later page (the EPUB has it once, where the table starts).
    WeasyPrint has no public
    API for the boxes of a laid-out page, so this reads ``Page._page_box``: pyproject.toml
    bounds WeasyPrint above and tests/test_render_pdf.py fails if the attribute goes.
    """
    from weasyprint.formatting_structure.boxes import TextBox

    if not document.pages:
        return ()
    root = document.pages[0]._page_box.children[0].element
    parents = {child: parent for parent in root.iter() for child in parent}
    block_index = _block_index(root)
    repeating = {
        element
        for group in root.iter()
        if _local(group.tag) in ("thead", "tfoot")
        for element in group.iter()
        if element in block_index
    }
    first_page: dict[Any, int] = {}
    starts: list[PageStart] = []
    seen: dict[Any, int] = {}
    for number, page in enumerate(document.pages, 1):
        first: PageStart | None = None
        for box in _drawn_boxes(page):
            if not isinstance(box, TextBox) or "::" in (box.element_tag or ""):
                continue
            region, block = _locate(box.element, parents, block_index)
            if region in ("other", "footnote"):
                continue
            if block in repeating and first_page.setdefault(block, number) < number:
                continue  # a header row repeated at the top of this page
            count = sum(ch.isalnum() for ch in box.text)
            if first is None:
                if region == "section" and block is not None:
                    section_id, index = block_index[block]
                    first = PageStart(number, region, section_id, index, seen.get(block, 0))
                elif region == "contents":
                    first = PageStart(number, region, _toc_target(box.element, parents))
                elif region != "section":
                    first = PageStart(number, region)
            if block is not None:
                seen[block] = seen.get(block, 0) + count
        if first is not None:
            starts.append(first)
    return tuple(starts)


def overflowing_tables(document: Any) -> list[int]:
    """The document-order indexes of the tables that stick out of the text block on some
    page (wider than the page's content box even at their narrowest)."""
    from weasyprint.formatting_structure.boxes import TableBox

    if not document.pages:
        return []
    root = document.pages[0]._page_box.children[0].element
    order = {e: i for i, e in enumerate(e for e in root.iter() if _local(e.tag) == "table")}
    found: set[int] = set()
    for page in document.pages:
        box = page._page_box
        right = box.content_box_x() + box.width
        stack = list(box.children)
        while stack:
            child = stack.pop()
            if isinstance(child, TableBox):
                if child.position_x + child.margin_width() > right + 0.5 and child.element in order:
                    found.add(order[child.element])
                continue
            stack.extend(getattr(child, "children", []))
    return sorted(found)


def _mark_tables(html: str, marks: dict[int, str]) -> str:
    """``html`` with ``data-fit`` set on the tables ``marks`` names by document-order index."""
    count = -1

    def mark(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f'<table data-fit="{marks[count]}"' if count in marks else match.group(0)

    return _LEAD_RE.sub(_lead, _TABLE_RE.sub(mark, html))


def _lead(match: re.Match[str]) -> str:
    return f'<{match.group(1)} data-fit="landscape-lead"{match.group(2)}'


_TABLE_RE = re.compile(r"<table\b")
#: A heading right before a table set in landscape goes onto that page with it (else it is
#: left alone at the foot of the page before, or on a page of its own).
_LEAD_RE = re.compile(
    r'<(h[2-6])\b([^>]*>(?:(?!</h[2-6]>).)*</h[2-6]>\s*<table data-fit="landscape)', re.DOTALL
)


def _block_index(root: Any) -> dict[Any, tuple[str, int]]:
    """Each BLOCK_TAGS element of a chapter → (section id, its index among them)."""
    block_index: dict[Any, tuple[str, int]] = {}
    for section in root.iter():
        if _local(section.tag) == "section" and "chapter" in (section.get("class") or ""):
            blocks = [e for e in section.iter() if _local(e.tag) in BLOCK_TAGS]
            for index, element in enumerate(blocks):
                block_index[element] = (section.get("id"), index)
    return block_index


def _locate(
    element: Any, parents: dict[Any, Any], block_index: dict[Any, tuple[str, int]]
) -> tuple[str, Any]:
    """The region an element is drawn in and the chapter block that holds it, if any."""
    region, block = "other", None
    node = element
    while node is not None:
        classes = (node.get("class") or "").split()
        if "footnote" in classes:
            return "footnote", None
        if block is None and node in block_index:
            block = node
        if "chapter" in classes:
            return "section", block
        if "titlepage" in classes:
            return "titlepage", None
        if "toc" in classes:
            return "contents", None
        node = parents.get(node)
    return region, block


def _toc_target(element: Any, parents: dict[Any, Any]) -> str | None:
    """The id a contents entry links to, for the entry ``element`` is drawn in (None for
    the contents' heading): the EPUB puts the page's marker at the same entry."""
    node = element
    while node is not None and _local(node.tag) != "li":
        node = parents.get(node)
    if node is None:
        return None
    link = next((e for e in node.iter() if _local(e.tag) == "a"), None)
    href = link.get("href", "") if link is not None else ""
    return href[1:] if href.startswith("#") else None


def _drawn_boxes(page: Any) -> list[Any]:
    """A page's boxes depth-first in drawing order, margin boxes (and their text) left out."""
    from weasyprint.formatting_structure.boxes import MarginBox

    stack = [page._page_box]
    boxes = []
    while stack:
        box = stack.pop()
        if isinstance(box, MarginBox):
            continue
        boxes.append(box)
        stack.extend(reversed(getattr(box, "children", [])))
    return boxes


#: Where the print HTML's relative URLs point, whatever folder the project is in: WeasyPrint
#: names each image in the PDF by a digest of its URL, so a URL with the project's real path
#: would give other bytes for the same sources in another folder. The fetcher maps it back.
PROJECT_URL_ROOT = "/mxpublish-project"


def _fetcher_class() -> type:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        """Serves ``file:`` URLs inside the allowed roots and ``data:`` URLs; refuses the rest.

        Refusals raise FatalURLFetchingError so that the build stops with a clear message
        instead of WeasyPrint logging and leaving the resource out.
        """

        def __init__(self, roots: Sequence[Path]):
            super().__init__(allowed_protocols={"file", "data"})
            self.roots = tuple(r.resolve() for r in roots)

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise FatalURLFetchingError(
                    f"refused to fetch {url!r}: builds never use the network"
                )
            path = Path(unquote(parts.path))
            if path.is_relative_to(PROJECT_URL_ROOT):
                path = self.roots[0] / path.relative_to(PROJECT_URL_ROOT)
            path = path.resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise FatalURLFetchingError(f"refused to read {path}: outside the project")
            shown = path.relative_to(self.roots[0]) if path.is_relative_to(self.roots[0]) else path
            if not path.exists():
                raise FatalURLFetchingError(f"cannot read {shown}: no such file")
            if not path.is_file():  # a directory or a named pipe (which would block)
                raise FatalURLFetchingError(f"cannot read {shown}: not a regular file")
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise FatalURLFetchingError(f"cannot read {shown}: {exc.strerror}") from exc
            return URLFetcherResponse(path.as_uri(), body)

    return ProjectFetcher


def _too_wide_record(count: int) -> logging.LogRecord:
    message = (
        f"{count} table(s) wider than the page even set in landscape: "
        "shorten the cells, or split the table"
    )
    return logging.LogRecord("weasyprint", logging.WARNING, __file__, 0, message, None, None)


def _document_id(identifier: str, text: str, roots: Sequence[Path]) -> str:
    """The PDF's ID: a digest of the publication's identifier and what was laid out, with the
    folders resources came from left out (a font's path differs between two installs whose
    bytes must not)."""
    for uri in sorted((root.resolve().as_uri() for root in roots), key=len, reverse=True):
        text = text.replace(uri, "")
    return hashlib.sha256((identifier + text).encode()).hexdigest()[:32]


def render_pdf(
    publication: Publication,
    html: str,
    css: str,
    *,
    roots: Sequence[Path],
    variant: str = DEFAULT_PDF_VARIANT,
    write: bool = True,
) -> PdfResult:
    """Lay out ``html`` with ``css`` and return the PDF bytes, page count and page map.

    ``roots`` are the only directories resources may come from. With ``write=False`` only the
    layout is done (the EPUB needs the page map even when no PDF is wanted) and ``data`` is
    empty. Raises RenderError when WeasyPrint refuses a resource or fails.
    """
    check_variant(variant)
    result = layout_html(
        html,
        css,
        root=publication.root,
        roots=roots,
        identifier=publication.metadata.identifier,
        variant=variant,
        write=write,
    )
    return replace(result, diagnostics=folded(result.diagnostics))


def check_variant(variant: str) -> None:
    if variant not in PDF_VARIANTS:
        raise UsageError(
            error(
                "PDF-VARIANT",
                f"unknown PDF variant {variant!r}",
                hint="choose one of " + ", ".join(PDF_VARIANTS),
            )
        )


def layout_html(
    html: str,
    css: str,
    *,
    root: Path,
    roots: Sequence[Path],
    identifier: str,
    variant: str,
    write: bool,
) -> PdfResult:
    """``render_pdf`` from plain values, so a worker process can run it without the model."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    if is_pdfa(variant):
        css += PDFA_CSS
    fetcher = _fetcher_class()([root, *roots])
    base_url = PurePosixPath(PROJECT_URL_ROOT).as_uri() + "/"
    with captured_logs() as records:
        try:
            with only_shipped_fonts():
                font_config = FontConfiguration()  # @font-face rules only work through it
            stylesheet = weasyprint.CSS(
                string=css, base_url=base_url, url_fetcher=fetcher, font_config=font_config
            )
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                stylesheets=[stylesheet], font_config=font_config
            )
            marks: dict[int, str] = {}
            for fit in ("landscape", "landscape anywhere"):  # each pass only if one sticks out
                wide = overflowing_tables(document)
                if not wide:
                    break
                marks.update(dict.fromkeys(wide, fit))
                page = document.pages[0]
                turned = f"@page landscape {{ size: {page.height}px {page.width}px; }}\n"
                landscape = weasyprint.CSS(string=turned, font_config=font_config)
                del document
                document = weasyprint.HTML(
                    string=_mark_tables(html, marks), base_url=base_url, url_fetcher=fetcher
                ).render(stylesheets=[stylesheet, landscape], font_config=font_config)
            if marks:
                html = _mark_tables(html, marks)
                if overflowing_tables(document):
                    records.append(_too_wide_record(len(overflowing_tables(document))))
            starts = page_starts(document)
            document_id = _document_id(identifier, html + css, [root, *roots])
            data = write_conforming(document, variant, document_id.encode()) if write else b""
        except FatalURLFetchingError as exc:
            raise RenderError(error("RESOURCE-REFUSED", str(exc))) from exc
    messages = dict.fromkeys(record.getMessage() for record in records)  # one per occurrence
    diagnostics = tuple(warning("PDF-RENDER", message) for message in messages)
    return PdfResult(data, len(document.pages), starts, diagnostics, anchor_pages(document))


@dataclass(frozen=True)
class PartOptions:
    """How a long print edition is laid out in parts (see render/parts.py): where laid-out
    parts are cached (None: not cached), how many processes lay them out, and the size of a
    part and of the shortest document split, in characters of print HTML."""

    cache: Path | None = None
    workers: int = 1
    part_chars: int | None = None  # None: render/parts.py's PART_CHARS
    split_chars: int | None = None  # None: SPLIT_CHARS


#: Bleed and crop/cross marks for a commercial print shop (``--print-marks``).
PRINT_MARKS_CSS = "\n@page { bleed: 0.25in; marks: crop cross; }\n"


def print_edition(
    project: Project,
    publication: Publication,
    env: jinja2.Environment,
    modified: dt.datetime,
    *,
    variant: str = DEFAULT_PDF_VARIANT,
    print_marks: bool = False,
    write: bool = True,
    parts: PartOptions | None = None,
) -> PdfResult:
    """The print edition: the print document with its fonts, stylesheet and paper size, laid
    out once (``write`` False: only for its page map); a long one in parts (``parts``)."""
    from mxpublish.assemble.coverage import print_faces
    from mxpublish.assemble.documents import document_html, stylesheet
    from mxpublish.assemble.fonts import font_dirs, font_face_css, print_format, print_url
    from mxpublish.source.metadata import paper_css

    html = document_html(publication, env, PDF.medium, toc_depth=PDF.toc_depth, modified=modified)
    css = (
        font_face_css(print_url, print_faces(html), print_format)
        + stylesheet(project, PDF.medium)
        + f"\n@page {{ size: {paper_css(publication.metadata.paper)}; }}\n"
        + (PRINT_MARKS_CSS if print_marks else "")
    )
    check_variant(variant)
    if parts is not None:
        from mxpublish.render.parts import print_in_parts

        result = print_in_parts(
            publication, html, css, roots=font_dirs(), variant=variant, write=write, options=parts
        )
        if result is not None:
            return replace(result, diagnostics=folded(result.diagnostics))
    return render_pdf(publication, html, css, roots=font_dirs(), variant=variant, write=write)
