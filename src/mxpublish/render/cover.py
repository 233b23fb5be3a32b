"""The EPUB cover image, drawn from the title metadata with the project's own fonts."""

from __future__ import annotations

import io

from mxpublish.assemble.documents import long_date
from mxpublish.assemble.fonts import FACES, SANS, SERIF, FontFace
from mxpublish.cache import BlobStore, file_identity
from mxpublish.errors import SourceError, error
from mxpublish.model import Metadata, Publication
from mxpublish.project import Project
from mxpublish.source.assets import IMAGE_TYPES

WIDTH, HEIGHT = 1600, 2400
_BACKGROUND = (31, 58, 95)  # the theme's accent, #1f3a5f
_INK = (255, 255, 255)
_SOFT = (214, 224, 236)


def _face(family: str, weight: int) -> FontFace:
    return next(
        f for f in FACES if f.family == family and f.weight == weight and f.style == "normal"
    )


def _wrap(draw: object, text: str, font: object, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(trial, font=font) <= width:  # type: ignore[attr-defined]
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def cover_png(meta: Metadata, date_text: str) -> bytes:
    """A 1600×2400 PNG: marking, title, subtitle, byline and date on the accent colour.

    Same metadata, same bytes (Pillow's PNG encoder is deterministic, no timestamps)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    margin = 150
    text_width = WIDTH - 2 * margin
    y = 260
    if meta.marking:
        font = ImageFont.truetype(str(_face(SANS, 700).path), 40)
        for line in _wrap(draw, meta.marking.upper(), font, text_width):
            draw.text((WIDTH / 2, y), line, font=font, fill=_SOFT, anchor="mt")
            y += 56
        y += 60
    draw.rectangle((margin, y, WIDTH - margin, y + 16), fill=_INK)
    y += 90
    title_font = ImageFont.truetype(str(_face(SANS, 700).path), 124)
    for line in _wrap(draw, meta.title, title_font, text_width):
        draw.text((margin, y), line, font=title_font, fill=_INK)
        y += 148
    if meta.subtitle:
        y += 30
        font = ImageFont.truetype(str(_face(SERIF, 400).path), 64)
        for line in _wrap(draw, meta.subtitle, font, text_width):
            draw.text((margin, y), line, font=font, fill=_SOFT)
            y += 84
    byline_font = ImageFont.truetype(str(_face(SANS, 600).path), 58)
    date_font = ImageFont.truetype(str(_face(SANS, 400).path), 52)
    y = HEIGHT - 420
    for line in _wrap(draw, ", ".join(meta.authors), byline_font, text_width):
        draw.text((margin, y), line, font=byline_font, fill=_INK)
        y += 76
    draw.text((margin, y + 10), date_text, font=date_font, fill=_SOFT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def cover_image(
    project: Project, publication: Publication, store: BlobStore | None = None
) -> tuple[str, str, bytes]:
    """(name inside EPUB/, media type, bytes) of the cover: the image publication.yaml names,
    or one drawn from the title metadata (taken from ``store`` when drawn before: drawing
    and compressing it is the slowest part of an EPUB whose page map is cached)."""
    meta = publication.metadata
    if meta.cover:
        file = project.relative(project.config_path)
        path = project.resolve_inside(meta.cover, project.source_dir, file=file)
        media_type = IMAGE_TYPES.get(path.suffix.lower())
        if media_type is None or not path.is_file():
            problem = "is not a PNG, JPEG, GIF or SVG file" if path.is_file() else "not found"
            raise SourceError(error("COVER", f"cover image {meta.cover!r} {problem}", file))
        return f"images/cover{path.suffix.lower()}", media_type, path.read_bytes()
    date_text = long_date(meta.date, meta.language)
    if store is None:
        return "images/cover.png", "image/png", cover_png(meta, date_text)
    from PIL import __version__ as pillow

    faces = [_face(SANS, 700), _face(SERIF, 400), _face(SANS, 600), _face(SANS, 400)]
    key = store.key(
        "cover", pillow, meta.marking, meta.title, meta.subtitle, tuple(meta.authors), date_text,
        [file_identity(face.path) for face in faces],
    )  # fmt: skip
    return "images/cover.png", "image/png", store.fetch(key, lambda: cover_png(meta, date_text))
