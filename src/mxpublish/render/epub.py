"""The model + XHTML documents → an EPUB 3 package with ebooklib, re-zipped deterministically."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mxpublish import __version__
from mxpublish.assemble.documents import XhtmlDocument
from mxpublish.cache import BlobStore, file_identity
from mxpublish.editions import EPUB
from mxpublish.model import PageStart, Publication
from mxpublish.project import Project

if TYPE_CHECKING:
    import jinja2

    from mxpublish.assemble.coverage import Embed

#: The zip timestamp of every entry (zip cannot store dates before 1980).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

ACCESSIBILITY_SUMMARY = (
    "This publication follows EPUB Accessibility 1.1 and WCAG 2.2 level AA: it has a "
    "structured table of contents, headings in order, landmarks, the language of every "
    "document declared, text that reflows, and page-break markers with a page list that "
    "match the printed edition. Every image has a text alternative; there is no audio or "
    "video, and no information is conveyed by colour alone. Checked by tool: EPUBCheck "
    "(no errors or warnings) and Ace by DAISY (no violations) through mxpublish verify, and "
    "axe-core's WCAG 2.2 target-size rule on this design's links, note references and "
    "contents list. The WCAG 2.2 criteria about forms, sign-in, help and dragging do not "
    "apply: there are none."
)


@dataclass(frozen=True)
class EpubResource:
    """A non-document file (stylesheet, font, image) to package verbatim."""

    name: str
    media_type: str
    data: bytes
    properties: tuple[str, ...] = ()


def font_resources(text: str, store: BlobStore | None = None) -> tuple[str, list[EpubResource]]:
    """The ``@font-face`` rules (URLs relative to ``styles/``) and the font files for an EPUB
    whose documents are ``text``: each face subset to what it draws, fallbacks only if
    needed (a subset made before for the same characters is taken from ``store``)."""
    from mxpublish.assemble.coverage import embeds
    from mxpublish.assemble.fonts import font_face_css, subset_format

    chosen = embeds(text)
    css = font_face_css(
        lambda face: f"../fonts/{face.name}", [e.face for e in chosen], subset_format
    )
    files = [
        EpubResource(f"fonts/{e.face.name}", e.face.media_type, stored_subset(e, store))
        for e in chosen
    ]
    return css, files


def stored_subset(embed: Embed, store: BlobStore | None) -> bytes:
    """``embed``'s face cut to its characters, from ``store`` when cut before."""
    from mxpublish.assemble.fonts import subset

    def make() -> bytes:
        return subset(embed.face, embed.text, with_ascii=embed.with_ascii)

    if store is None:
        return make()
    chars = "".join(sorted(set(embed.text)))
    key = store.key("subset", file_identity(embed.face.path), chars, embed.with_ascii)
    return store.fetch(key, make)


def print_edition_name(publication: Publication) -> str:
    """How the EPUB names the printed edition its page numbers come from."""
    meta = publication.metadata
    return f"{meta.title}, print edition (PDF, {meta.date.isoformat()})"


def render_epub(
    publication: Publication,
    documents: Sequence[XhtmlDocument],
    resources: Sequence[EpubResource],
    modified: dt.datetime,
    *,
    has_page_list: bool = False,
) -> bytes:
    """Package ``documents`` (spine order) and ``resources``; return the EPUB bytes.

    ``modified`` (UTC) becomes ``dcterms:modified``; zip entries carry a fixed time and order,
    so the same inputs always give the same bytes.
    """
    from ebooklib import epub

    meta = publication.metadata
    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    _add_metadata(book, publication, has_page_list)
    _add_items(book, documents, resources)

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
    return normalize_zip(raw.getvalue(), {"EPUB/content.opf": _opf_language(meta.language)})


def _add_metadata(book: Any, publication: Publication, has_page_list: bool) -> None:
    """Dublin Core, schema.org accessibility metadata and the generator, on ``book``."""
    meta = publication.metadata
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
    a11y: list[tuple[str, str]] = [
        ("schema:accessMode", "textual"),
        ("schema:accessMode", "visual"),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "readingOrder"),
        ("schema:accessibilityFeature", "displayTransformability"),
        ("schema:accessibilityFeature", "alternativeText"),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", ACCESSIBILITY_SUMMARY),
        ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"),
    ]
    if has_page_list:
        source = print_edition_name(publication)
        book.add_metadata("DC", "source", source)
        a11y += [
            ("schema:accessibilityFeature", "pageBreakMarkers"),
            ("schema:accessibilityFeature", "pageNavigation"),
            ("pageBreakSource", source),
        ]
    for prop, value in a11y:
        book.add_metadata(None, "meta", value, {"property": prop})
    book.add_metadata(
        None, "meta", "", {"name": "generator", "content": f"mxpublish {__version__}"}
    )


def _add_items(
    book: Any, documents: Sequence[XhtmlDocument], resources: Sequence[EpubResource]
) -> None:
    """The content documents (in spine order, with the contents), resources and the NCX."""
    from ebooklib import epub

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
        elif "<math " in document.content:  # MathML must be declared (EPUBCheck OPF-014)
            item.properties = ["mathml"]
        book.add_item(item)
        spine.append(item)
        if document.section_id:
            toc.append(epub.Link(document.name, document.title, document.section_id))
    for index, resource in enumerate(resources):
        item = epub.EpubItem(
            uid=f"res{index}",
            file_name=resource.name,
            media_type=resource.media_type,
            content=resource.data,
        )
        item.properties = list(resource.properties)
        book.add_item(item)
    book.add_item(epub.EpubNcx())
    book.toc = toc
    book.spine = spine


def _opf_language(language: str) -> Callable[[bytes], bytes]:
    """Declare the package's language on ``<package xml:lang>`` (ebooklib has no option for
    it; accessibility checkers require it)."""

    def transform(opf: bytes) -> bytes:
        from lxml import etree

        root = etree.fromstring(opf)
        root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    return transform


def normalize_zip(
    data: bytes, transforms: Mapping[str, Callable[[bytes], bytes]] | None = None
) -> bytes:
    """Re-zip with ``mimetype`` first and stored, then the other entries in their original
    order, every one with the same timestamp and permissions: byte-reproducible EPUBs.
    ``transforms`` rewrite named entries on the way."""
    transforms = transforms or {}
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
                content = source.read(name)
                if name in transforms:
                    content = transforms[name](content)
                target.writestr(info, content, compresslevel=9)
    return out.getvalue()


def epub_edition(
    project: Project,
    publication: Publication,
    env: jinja2.Environment,
    page_starts: Sequence[PageStart],
    modified: dt.datetime,
    store: BlobStore | None = None,
) -> bytes:
    """The EPUB edition as bytes: its documents (with the print page list when
    ``page_starts`` is given), stylesheet, cover, fonts subset to its text, and images
    (the drawn cover and the font subsets from ``store`` when made before)."""
    from mxpublish.assemble.documents import epub_asset_names, epub_documents, stylesheet
    from mxpublish.assemble.images import for_screen
    from mxpublish.render.cover import cover_image
    from mxpublish.source.assets import read_asset

    cover_name, cover_type, cover_data = cover_image(project, publication, store)
    documents = epub_documents(publication, env, page_starts, cover_image=cover_name)
    text = "".join(d.content for d in documents)
    font_css, font_files = font_resources(text, store)
    css = font_css + stylesheet(project, EPUB.medium)
    resources = [
        EpubResource(f"styles/{EPUB.stylesheet}", "text/css", css.encode("utf-8")),
        EpubResource(cover_name, cover_type, cover_data, ("cover-image",)),
        *font_files,
    ]
    resources += [
        EpubResource(
            name, asset.media_type, for_screen(read_asset(project.root, asset), asset.media_type)
        )
        for asset, name in epub_asset_names(publication).items()
    ]
    return render_epub(publication, documents, resources, modified, has_page_list=bool(page_starts))
