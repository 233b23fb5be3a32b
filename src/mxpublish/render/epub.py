"""The model + XHTML documents → an EPUB 3 package with ebooklib, re-zipped deterministically."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from mxpublish import __version__
from mxpublish.assemble import XhtmlDocument
from mxpublish.model import Publication

#: The zip timestamp of every entry (zip cannot store dates before 1980).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

ACCESSIBILITY_SUMMARY = (
    "This publication follows EPUB Accessibility 1.1 and WCAG 2.1 level AA: it has a "
    "structured table of contents, headings in order, landmarks, the language of every "
    "document declared, and text that reflows; it contains no images, audio or video, and "
    "conveys no information by colour alone."
)
ACCESSIBILITY_SUMMARY_IMAGES = (
    "This publication follows EPUB Accessibility 1.1 and WCAG 2.1 level AA: it has a "
    "structured table of contents, headings in order, landmarks, the language of every "
    "document declared, and text that reflows; every image has a text alternative, it "
    "contains no audio or video, and conveys no information by colour alone."
)


@dataclass(frozen=True)
class EpubResource:
    """A non-document file (stylesheet, font, image) to package verbatim."""

    name: str
    media_type: str
    data: bytes


def render_epub(
    publication: Publication,
    documents: Sequence[XhtmlDocument],
    resources: Sequence[EpubResource],
    modified: dt.datetime,
) -> bytes:
    """Package ``documents`` (spine order) and ``resources``; return the EPUB bytes.

    ``modified`` (UTC) becomes ``dcterms:modified``; zip entries carry a fixed time and order,
    so the same inputs always give the same bytes.
    """
    from ebooklib import epub

    meta = publication.metadata
    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    book.set_identifier(meta.identifier)
    book.set_title(meta.title)
    book.set_language(meta.language)
    for index, author in enumerate(meta.authors):
        book.add_author(author, uid=f"creator{index + 1}")
    for name, value in (
        ("publisher", meta.publisher),
        ("rights", meta.rights),
        ("description", meta.description),
    ):
        if value:
            book.add_metadata("DC", name, value)
    book.add_metadata("DC", "date", meta.date.isoformat())
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    # Images need alt text to build (source stage), so text alone still suffices with them.
    images = bool(publication.assets)
    for prop, value in (
        ("schema:accessMode", "textual"),
        *([("schema:accessMode", "visual")] if images else []),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "readingOrder"),
        ("schema:accessibilityFeature", "displayTransformability"),
        *([("schema:accessibilityFeature", "alternativeText")] if images else []),
        ("schema:accessibilityHazard", "none"),
        (
            "schema:accessibilitySummary",
            ACCESSIBILITY_SUMMARY_IMAGES if images else ACCESSIBILITY_SUMMARY,
        ),
        ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
    ):
        book.add_metadata(None, "meta", value, {"property": prop})
    book.add_metadata(
        None, "meta", "", {"name": "generator", "content": f"mxpublish {__version__}"}
    )

    spine: list[object] = []
    toc: list[object] = []
    for index, document in enumerate(documents):
        item = epub.EpubItem(
            uid=f"doc{index}",
            file_name=document.name,
            media_type="application/xhtml+xml",
            content=document.content.encode("utf-8"),
        )
        if document.name == "nav.xhtml":
            item.properties = ["nav"]
        book.add_item(item)
        spine.append(item)
        if document.section_id:
            toc.append(epub.Link(document.name, document.title, document.section_id))
    for index, resource in enumerate(resources):
        book.add_item(
            epub.EpubItem(
                uid=f"res{index}",
                file_name=resource.name,
                media_type=resource.media_type,
                content=resource.data,
            )
        )
    book.add_item(epub.EpubNcx())
    book.toc = toc
    book.spine = spine

    raw = io.BytesIO()
    epub.write_epub(
        raw,
        book,
        {
            "epub3_pages": False,
            "epub3_landmark": False,
            "epub2_guide": False,
            "mtime": modified,
            "play_order": {"enabled": True, "start_from": 1},
        },
    )
    return normalize_zip(raw.getvalue())


def normalize_zip(data: bytes) -> bytes:
    """Re-zip with ``mimetype`` first and stored, then the other entries in their original
    order, every one with the same timestamp and permissions: byte-reproducible EPUBs."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    ordered = ["mimetype"] + [n for n in names if n != "mimetype"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
                target.writestr(info, source.read(name))
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, source.read(name), compresslevel=9)
    return out.getvalue()
