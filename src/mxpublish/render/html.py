"""The single-file HTML edition: the web document with its stylesheet and fonts inlined."""

from __future__ import annotations

import base64

from mxpublish.fonts import FACES, FontFace, font_face_css, subset


def inline_fonts_css(text: str) -> str:
    """``@font-face`` rules whose sources are ``data:`` URIs of fonts subset to ``text``,
    so the file needs nothing beside it and stays small."""

    def data_uri(face: FontFace) -> str:
        encoded = base64.b64encode(subset(face, text)).decode("ascii")
        return f"data:{face.media_type};base64,{encoded}"

    return font_face_css(data_uri, FACES)


def render_html(document: str) -> bytes:
    """The assembled web document as UTF-8 bytes, ready to write."""
    return document.encode("utf-8")
