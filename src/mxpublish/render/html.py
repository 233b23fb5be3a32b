"""The single-file HTML edition: the web document with its stylesheet and fonts inlined."""

from __future__ import annotations

import base64
import datetime as dt

import jinja2

from mxpublish.assemble.coverage import embeds
from mxpublish.assemble.documents import document_html, stylesheet, with_image_sources
from mxpublish.assemble.fonts import font_face_css, subset, subset_format
from mxpublish.assemble.images import for_screen
from mxpublish.editions import HTML
from mxpublish.model import Publication
from mxpublish.project import Project
from mxpublish.source.assets import read_asset


def data_uri(media_type: str, data: bytes) -> str:
    """``data`` inlined as a ``data:`` URI, so the file needs nothing beside it."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def inline_fonts_css(text: str) -> str:
    """``@font-face`` rules whose sources are ``data:`` URIs of fonts subset to ``text``
    (only the code and fallback faces it needs), so the file needs nothing beside it and
    stays small."""
    chosen = embeds(text)
    uris = {
        e.face: data_uri(e.face.media_type, subset(e.face, e.text, with_ascii=e.with_ascii))
        for e in chosen
    }
    return font_face_css(uris.__getitem__, [e.face for e in chosen], subset_format)


def render_html(document: str) -> bytes:
    """The assembled web document as UTF-8 bytes, ready to write."""
    return document.encode("utf-8")


#: Where the stylesheet goes: noncharacters, refused in source text, so never in a section.
_CSS_MARK = "\ufdd0mxpublish-css\ufdd1"


def html_edition(
    project: Project,
    publication: Publication,
    env: jinja2.Environment,
    modified: dt.datetime | None = None,
) -> bytes:
    """The single-file HTML edition as bytes, written by ``build`` and served by ``serve``.

    The document is rendered once, with a mark where its stylesheet goes: the fonts are
    subset to the text without it, then the stylesheet takes the mark's place."""
    page = document_html(
        publication, env, HTML.medium, css=_CSS_MARK, toc_depth=HTML.toc_depth, modified=modified
    )
    parts = page.split(_CSS_MARK)  # one mark, unless a project template moved {{ css }}
    css = inline_fonts_css("".join(parts)) + stylesheet(project, HTML.medium)
    images = {
        a: data_uri(a.media_type, for_screen(read_asset(project.root, a), a.media_type))
        for a in publication.assets
    }
    document = with_image_sources(css.join(parts), images.__getitem__, publication.assets)
    return render_html(document)
