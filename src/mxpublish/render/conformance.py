"""What makes WeasyPrint's PDF pass independent PDF/UA-1 and PDF/A validators (``page``).

WeasyPrint writes one variant at a time and, as of version 70, leaves five things that a
validator refuses; each is put right here, at write time, on the laid-out document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mxpublish.editions import VARIANT_PROFILES

#: PDF/A forbids smoothing images (/Interpolate true, WeasyPrint's default for ``auto``).
PDFA_CSS = "\n*, ::before, ::after { image-rendering: crisp-edges !important; }\n"
# The WeasyPrint variant that writes each of ours; the combined one adds PDF/UA's identifier.
_WEASYPRINT_VARIANT = {"pdf/ua-1+a-2a": "pdf/a-2a"}


def is_pdfa(variant: str) -> bool:
    """Whether ``variant`` claims a PDF/A part (and so needs PDFA_CSS)."""
    return any(not profile.startswith("ua") for profile in VARIANT_PROFILES[variant])


def _one_annotation_per_link(document: Any) -> None:
    """Keep the link annotations of the boxes that are links, not of their descendants.

    WeasyPrint gives every non-text box inside a link (a ``span`` in a contents entry, an
    ``em`` in a link's text, a pseudo-element) an annotation of its own, tagged as that box's
    element (Span, NonStruct…), which breaks PDF/UA-1 (annotations must sit in Link
    elements). The link's own box already covers its descendants, so theirs are redundant.
    ``link`` is WeasyPrint's attribute, None on a box that only inherits a link (pyproject.toml
    bounds WeasyPrint; without the attribute every annotation is kept and validation fails).
    """
    for page in document.pages:
        page.links[:] = [link for link in page.links if getattr(link[3], "link", True)]


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


@contextmanager
def _page_references_once() -> Iterator[None]:
    """Give pydyf's ``PDF.page_references`` a memory while one PDF is written.

    The property rebuilds the tuple of every page's reference on each call, and WeasyPrint's
    tagging calls it once per structure element (``pdf/tags.py``), so a tagged PDF cost time
    in pages × elements: about 1.4 million steps for a 139-page book. The cache is keyed by
    the page tree's length, so a page added later still gets its reference. The bytes written
    are the same. Patched for the duration of one write, like ``_unambiguous_stream_ends``.
    """
    import pydyf

    original = pydyf.PDF.page_references
    cache: dict[tuple[int, int], Any] = {}

    def page_references(pdf: Any) -> Any:
        key = (id(pdf), len(pdf.pages["Kids"]))
        if key not in cache:
            cache[key] = original.fget(pdf)
        return cache[key]

    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original


@contextmanager
def _list_item_bodies() -> Iterator[None]:
    """Put the blocks of a list item in an ``LBody``, as PDF/UA-1 wants (LI holds Lbl and
    LBody only).

    WeasyPrint tags an item's inline text as ``LBody`` but its block children (the
    paragraphs of a loose list, a code block or table in an item) straight under ``LI``:
    ``PDFUA1-LI-KIDS-001`` on any real book. Each LI WeasyPrint makes is mended as it is
    built: what is not the marker moves into one new LBody (an LBody already there for the
    item's text becomes a NonStruct in it). Only parent links change; the marked content and
    the parent tree stay as they were. Patched for one write, like the others here.
    """
    import pydyf
    from weasyprint.pdf import tags

    original = tags._build_box_tree

    def build(box: Any, parent: Any, pdf: Any, *args: Any) -> Iterator[Any]:
        for element in original(box, parent, pdf, *args):
            if element["S"] == "/LI":
                _mend_list_item(element, pdf, pydyf)
            yield element

    tags._build_box_tree = build
    try:
        yield
    finally:
        tags._build_box_tree = original


def _mend_list_item(item: Any, pdf: Any, pydyf: Any) -> None:
    kids = [
        pdf.objects[int(kid.split()[0])] if isinstance(kid, bytes) else kid for kid in item["K"]
    ]
    if not all(isinstance(kid, dict) and kid.get("Type") == "/StructElem" for kid in kids):
        return  # marked content or an annotation: the parent tree names the LI
    body = [kid for kid in kids if kid["S"] != "/Lbl"]
    if all(kid["S"] == "/LBody" for kid in body):
        return
    lbody = pydyf.Dictionary(
        {
            "Type": "/StructElem",
            "S": "/LBody",
            "K": pydyf.Array([]),
            "Pg": item["Pg"],
            "P": item.reference,
        }
    )
    pdf.add_object(lbody)
    for kid in body:
        if kid["S"] == "/LBody":
            kid["S"] = "/NonStruct"
        kid["P"] = lbody.reference
        lbody["K"].append(kid.reference)
    item["K"] = pydyf.Array(
        [kid.reference for kid in kids if kid["S"] == "/Lbl"] + [lbody.reference]
    )


def write_conforming(document: Any, variant: str, identifier: bytes) -> bytes:
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
        with _unambiguous_stream_ends(), _page_references_once(), _list_item_bodies():
            return bytes(document.write_pdf(**options))
    finally:
        document.metadata = original
