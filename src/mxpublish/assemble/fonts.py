"""The fonts every edition embeds: OFL faces from installed PyPI packages, never system fonts."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SERIF = "Source Serif Pro"
SANS = "Source Sans Pro"


@dataclass(frozen=True)
class FontFace:
    """One file of a family; ``weight``/``style`` are what CSS asks for."""

    family: str
    weight: int
    style: str
    package: str
    filename: str

    @property
    def path(self) -> Path:
        return Path(str(resources.files(self.package).joinpath("files", self.filename)))

    @property
    def media_type(self) -> str:
        return "font/otf"


def _face(family: str, weight: int, style: str, stem: str) -> FontFace:
    package = "font_source_serif_pro" if family == SERIF else "font_source_sans_pro"
    prefix = "SourceSerifPro" if family == SERIF else "SourceSansPro"
    return FontFace(family, weight, style, package, f"{prefix}-{stem}.otf")


#: Every weight and style the stylesheets use, declared so WeasyPrint never fakes one.
FACES: tuple[FontFace, ...] = (
    _face(SERIF, 400, "normal", "Regular"),
    _face(SERIF, 400, "italic", "It"),
    _face(SERIF, 600, "normal", "Semibold"),
    _face(SERIF, 700, "normal", "Bold"),
    _face(SERIF, 700, "italic", "BoldIt"),
    _face(SANS, 400, "normal", "Regular"),
    _face(SANS, 400, "italic", "It"),
    _face(SANS, 600, "normal", "Semibold"),
    _face(SANS, 700, "normal", "Bold"),
)


def font_dirs() -> tuple[Path, ...]:
    """Directories the sandboxed fetcher may read fonts from (package data, not the system)."""
    return tuple(sorted({face.path.parent.resolve() for face in FACES}))


def font_face_css(url_for: Callable[[FontFace], str], faces: Iterable[FontFace] = FACES) -> str:
    """``@font-face`` rules for ``faces``; ``url_for`` says where each edition finds the file."""
    rules = []
    for face in faces:
        rules.append(
            "@font-face {\n"
            f'  font-family: "{face.family}";\n'
            f"  font-weight: {face.weight};\n"
            f"  font-style: {face.style};\n"
            f'  src: url("{url_for(face)}") format("opentype");\n'
            "}\n"
        )
    return "".join(rules)


def subset(face: FontFace, text: str) -> bytes:
    """The face cut down to the characters of ``text`` (plus printable ASCII), keeping
    HarfBuzz's default layout features (kerning, ligatures, marks, numeral styles).

    HarfBuzz's subsetter is deterministic for the same inputs, so builds stay byte-identical,
    and an order of magnitude faster than fontTools'.
    """
    chars = frozenset(text) | _ALWAYS
    return _subset_cached(face, chars)


_ALWAYS = frozenset({chr(c) for c in range(0x20, 0x7F)} | {"\u00a0"})


@functools.lru_cache(maxsize=64)
def _subset_cached(face: FontFace, chars: frozenset[str]) -> bytes:
    import uharfbuzz as hb

    font = hb.Face(hb.Blob.from_file_path(str(face.path)))
    request = hb.SubsetInput()
    codepoints = request.unicode_set
    for char in sorted(chars):
        codepoints.add(ord(char))
    result = hb.subset(font, request)
    if result is None:
        raise ValueError(f"HarfBuzz could not subset {face.path.name}")
    return bytes(result.blob.data)
