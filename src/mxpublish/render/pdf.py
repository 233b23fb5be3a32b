"""Print HTML → PDF with WeasyPrint: laid out once, resources confined to the project."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mxpublish.errors import Diagnostic, RenderError, UsageError, error, warning
from mxpublish.model import BLOCK_TAGS, PageStart, Publication

PDF_VARIANTS = ("pdf/ua-1", "pdf/ua-1+a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3u", "none")
"""The variants a build can declare; each passes an independent validator (``verify``)."""

# What each variant claims, as the validator profiles that must pass for it.
VARIANT_PROFILES: dict[str, tuple[str, ...]] = {
    "pdf/ua-1": ("ua1",),
    "pdf/ua-1+a-2a": ("ua1", "2a"),
    "pdf/a-2b": ("2b",),
    "pdf/a-2u": ("2u",),
    "pdf/a-3u": ("3u",),
    "none": (),
}
# PDF/A forbids smoothing images (/Interpolate true, WeasyPrint's default for `auto`).
_PDFA_CSS = "\n*, ::before, ::after { image-rendering: crisp-edges !important; }\n"
# The WeasyPrint variant that writes each of ours; the combined one adds PDF/UA's identifier.
_WEASYPRINT_VARIANT = {"pdf/ua-1+a-2a": "pdf/a-2a"}


@dataclass(frozen=True)
class PageAnchor:
    """Where a named anchor landed: 1-based page number."""

    anchor: str
    page: int


@dataclass(frozen=True)
class PdfResult:
    data: bytes
    pages: int
    anchors: tuple[PageAnchor, ...]
    page_starts: tuple[PageStart, ...]
    diagnostics: tuple[Diagnostic, ...]


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def page_starts(document: Any) -> tuple[PageStart, ...]:
    """Where each laid-out page begins: the first text drawn in its page area.

    Text in margin boxes, generated content (``::before``, markers, leaders) and footnotes is
    not counted, since the EPUB has none of it in the same place; nor is a table header or
    footer repeated on a later page (the EPUB has it once, where the table starts).
    """
    from weasyprint.formatting_structure.boxes import MarginBox, TextBox

    if not document.pages:
        return ()
    root = document.pages[0]._page_box.children[0].element
    parents = {child: parent for parent in root.iter() for child in parent}
    block_index: dict[Any, tuple[str, int]] = {}
    for section in root.iter():
        if _local(section.tag) == "section" and "chapter" in (section.get("class") or ""):
            blocks = [e for e in section.iter() if _local(e.tag) in BLOCK_TAGS]
            for index, element in enumerate(blocks):
                block_index[element] = (section.get("id"), index)
    repeating = {
        element
        for group in root.iter()
        if _local(group.tag) in ("thead", "tfoot")
        for element in group.iter()
        if element in block_index
    }
    first_page: dict[Any, int] = {}

    def locate(element: Any) -> tuple[str, Any]:
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

    starts: list[PageStart] = []
    seen: dict[Any, int] = {}
    for number, page in enumerate(document.pages, 1):
        first: PageStart | None = None
        stack = [page._page_box]
        boxes = []
        while stack:  # depth-first, in drawing order, skipping margin boxes
            box = stack.pop()
            if isinstance(box, MarginBox):
                continue
            boxes.append(box)
            stack.extend(reversed(getattr(box, "children", [])))
        for box in boxes:
            if not isinstance(box, TextBox) or "::" in (box.element_tag or ""):
                continue
            region, block = locate(box.element)
            if region in ("other", "footnote"):
                continue
            if block in repeating and first_page.setdefault(block, number) < number:
                continue  # a header row repeated at the top of this page
            count = sum(ch.isalnum() for ch in box.text)
            if first is None:
                if region == "section" and block is not None:
                    section_id, index = block_index[block]
                    first = PageStart(number, region, section_id, index, seen.get(block, 0))
                elif region != "section":
                    first = PageStart(number, region)
            if block is not None:
                seen[block] = seen.get(block, 0) + count
        if first is not None:
            starts.append(first)
    return tuple(starts)


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
            path = Path(unquote(parts.path)).resolve()
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


@contextmanager
def _captured_logs() -> Iterator[list[logging.LogRecord]]:
    """Collect WeasyPrint's warnings (missing fonts, bad CSS) so they become diagnostics."""
    records: list[logging.LogRecord] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("weasyprint")
    handler = Collector(level=logging.WARNING)
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


def _one_annotation_per_link(document: Any) -> None:
    """Keep the link annotations of the boxes that are links, not of their descendants.

    WeasyPrint gives every non-text box inside a link (a ``span`` in a contents entry, an
    ``em`` in a link's text, a pseudo-element) an annotation of its own, tagged as that box's
    element (Span, NonStruct…), which breaks PDF/UA-1 (annotations must sit in Link
    elements). The link's own box already covers its descendants, so theirs are redundant.
    """
    for page in document.pages:
        page.links[:] = [link for link in page.links if getattr(link[3], "link", None)]


def _xmp_class() -> type:
    from weasyprint.pdf.metadata import DocumentMetadata

    class ConformingXmp(DocumentMetadata):
        """XMP metadata as PDF/A wants it: an unfiltered stream, and PDF/UA's identifier.

        PDF/A-2 and -3 forbid a Filter on the metadata stream (WeasyPrint compresses it).
        With ``ua_part`` the packet also declares PDF/UA, with the extension schema that
        PDF/A requires for a namespace it does not predefine.
        """

        ua_part: int | None = None

        def include_in_pdf(
            self, pdf: Any, variant: str, version: int, conformance: Any, compress: bool
        ) -> None:
            super().include_in_pdf(pdf, variant, version, conformance, compress=False)

        def generate_rdf_metadata(self, variant: str, version: int, conformance: Any) -> bytes:
            rdf = super().generate_rdf_metadata(variant, version, conformance)
            if self.ua_part is None:
                return rdf
            return rdf.replace(b"</rdf:RDF>", _PDFUA_XMP.encode() + b"</rdf:RDF>", 1)

    return ConformingXmp


_PDFUA_XMP = """<rdf:Description rdf:about="" \
xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>\
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" \
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" \
xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">\
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">\
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>\
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>\
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>\
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">\
<pdfaProperty:name>part</pdfaProperty:name>\
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>\
<pdfaProperty:category>internal</pdfaProperty:category>\
<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed\
</pdfaProperty:description>\
</rdf:li></rdf:Seq></pdfaSchema:property>\
</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"""


@contextmanager
def _unambiguous_stream_ends() -> Iterator[None]:
    """End a stream whose data ends with CR with CR LF before ``endstream``.

    pydyf writes LF there; after data ending in CR (1 compressed stream in 256) a validator
    reads that CR LF as the end-of-line marker and finds the stream one byte shorter than its
    /Length (``page``: PDFA2A-STREAM-LENGTH-001, seen in a 200-section book). CR CR LF
    leaves one reading only. Patched for the duration of one write (builds write in one
    thread).
    """
    import pydyf

    original = pydyf.Stream.data

    def data(stream: Any) -> bytes:
        written: bytes = original.fget(stream)
        if written.endswith(b"\r\nendstream"):
            written = written[: -len(b"\nendstream")] + b"\r\nendstream"
        return written

    pydyf.Stream.data = property(data)
    try:
        yield
    finally:
        pydyf.Stream.data = original


def _write(document: Any, variant: str, identifier: bytes) -> bytes:
    """Write the laid-out ``document`` as a PDF that conforms to ``variant``; the document
    is left as it was, so it can be written again in another variant."""
    options: dict[str, object] = {"pdf_identifier": identifier}
    _one_annotation_per_link(document)
    original = document.metadata
    if variant != "none":
        options["pdf_variant"] = _WEASYPRINT_VARIANT.get(variant, variant)
        xmp = _xmp_class()()
        xmp.__dict__.update(original.__dict__)
        if "ua1" in VARIANT_PROFILES[variant] and variant != "pdf/ua-1":
            xmp.ua_part = 1
        document.metadata = xmp
    try:
        with _unambiguous_stream_ends():
            return bytes(document.write_pdf(**options))
    finally:
        document.metadata = original


def render_pdf(
    publication: Publication,
    html: str,
    css: str,
    *,
    roots: Sequence[Path],
    variant: str = "pdf/ua-1",
    write: bool = True,
) -> PdfResult:
    """Lay out ``html`` with ``css`` and return the PDF bytes, page count and page map.

    ``roots`` are the only directories resources may come from. With ``write=False`` only the
    layout is done (the EPUB needs the page map even when no PDF is wanted) and ``data`` is
    empty. Raises RenderError when WeasyPrint refuses a resource or fails.
    """
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    if variant not in PDF_VARIANTS:
        raise UsageError(
            error(
                "PDF-VARIANT",
                f"unknown PDF variant {variant!r}",
                hint="choose one of " + ", ".join(PDF_VARIANTS),
            )
        )
    if any(not profile.startswith("ua") for profile in VARIANT_PROFILES[variant]):
        css += _PDFA_CSS
    fetcher = _fetcher_class()([publication.root, *roots])
    base_url = publication.root.as_uri() + "/"
    with _captured_logs() as records:
        try:
            font_config = FontConfiguration()  # @font-face rules only work through it
            stylesheet = weasyprint.CSS(
                string=css, base_url=base_url, url_fetcher=fetcher, font_config=font_config
            )
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                stylesheets=[stylesheet], font_config=font_config
            )
            anchors = tuple(
                PageAnchor(name, number)
                for number, page in enumerate(document.pages, 1)
                for name in page.anchors
            )
            starts = page_starts(document)
            identifier = hashlib.sha256(
                (publication.metadata.identifier + html + css).encode()
            ).hexdigest()[:32]
            data = _write(document, variant, identifier.encode()) if write else b""
        except FatalURLFetchingError as exc:
            raise RenderError(error("RESOURCE-REFUSED", str(exc))) from exc
    diagnostics = tuple(warning("PDF-RENDER", record.getMessage()) for record in records)
    return PdfResult(data, len(document.pages), anchors, starts, diagnostics)
