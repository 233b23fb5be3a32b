"""The single-file HTML edition: the web document with its stylesheet and fonts inlined."""

from __future__ import annotations

import base64

from mxpublish.assemble.fonts import FACES, FontFace, font_face_css, subset


def data_uri(media_type: str, data: bytes) -> str:
    """``data`` inlined as a ``data:`` URI, so the file needs nothing beside it."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def inline_fonts_css(text: str) -> str:
    """``@font-face`` rules whose sources are ``data:`` URIs of fonts subset to ``text``,
    so the file needs nothing beside it and stays small."""

    def font_uri(face: FontFace) -> str:
        return data_uri(face.media_type, subset(face, text))

    return font_face_css(font_uri, FACES)


def render_html(document: str) -> bytes:
    """The assembled web document as UTF-8 bytes, ready to write."""
    return document.encode("utf-8")
