"""The fonts every edition embeds: OFL faces from installed PyPI packages, never system fonts.

Three body families (Source Serif, Sans and Code Pro) and, behind them, fallback families
that draw what the body faces lack (more scripts, mathematics, arrows, symbols, emoji). The
stylesheets name each role's chain (``ROLE_CHAINS``); which fallbacks a text needs is
worked out in ``coverage``.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SERIF = "Source Serif Pro"
SANS = "Source Sans Pro"
MONO = "Source Code Pro"
NOTO_SERIF = "Noto Serif"
NOTO_SANS = "Noto Sans"
MATH = "STIX Two Math"
SYMBOLS = "Noto Sans Symbols"
EMOJI = "Noto Emoji"
MONO_SYMBOLS = "DejaVu Sans Mono"

#: Each role's families in the order CSS names them: a character the first lacks is drawn
#: from the next that has it. base.css spells out the same lists.
ROLE_CHAINS: dict[str, tuple[str, ...]] = {
    "serif": (SERIF, NOTO_SERIF, MATH, SYMBOLS, EMOJI, MONO_SYMBOLS),
    "sans": (SANS, NOTO_SANS, MATH, SYMBOLS, EMOJI, MONO_SYMBOLS),
    "mono": (MONO, MONO_SYMBOLS, NOTO_SANS, MATH, SYMBOLS, EMOJI),
}
BODY_FAMILIES = (SERIF, SANS, MONO)


@dataclass(frozen=True)
class FontFace:
    """One face of a family; ``weight``/``style`` are what CSS asks for. A variable file
    (``[wght]`` in its name) is cut to the static instance at ``weight`` for the EPUB/HTML."""

    family: str
    weight: int
    style: str
    package: str
    filename: str
    folder: str = "files"

    @property
    def path(self) -> Path:
        base = resources.files(self.package)
        for part in self.folder.split("/") if self.folder else ():
            base = base.joinpath(part)
        return Path(str(base.joinpath(self.filename)))

    @property
    def variable(self) -> bool:
        return "[" in self.filename

    @property
    def fallback(self) -> bool:
        return self.family not in BODY_FAMILIES

    @property
    def css_format(self) -> str:
        """The ``format()`` hint for the source file as installed."""
        return {".otf": "opentype", ".ttf": "truetype", ".woff2": "woff2"}[self.path.suffix]

    @property
    def outline(self) -> str:
        """``otf`` for CFF outlines, ``ttf`` for TrueType ones: the type of a subset."""
        with self.path.open("rb") as file:
            head = file.read(4)  # the tag, without reading the whole file
        if head == b"wOF2":
            head = _sfnt(self)[:4]
        return "otf" if head == b"OTTO" else "ttf"

    @property
    def media_type(self) -> str:
        """The media type of a subset of this face (always a plain sfnt)."""
        return f"font/{self.outline}"

    @property
    def name(self) -> str:
        """A file name for this face's subset: ASCII, no brackets, one per face."""
        italic = "-italic" if self.style == "italic" else ""
        return f"{self.family.replace(' ', '')}-{self.weight}{italic}.{self.outline}"


def _source(family: str, weight: int, style: str, stem: str) -> FontFace:
    package = "font_source_serif_pro" if family == SERIF else "font_source_sans_pro"
    prefix = "SourceSerifPro" if family == SERIF else "SourceSansPro"
    return FontFace(family, weight, style, package, f"{prefix}-{stem}.otf")


def _noto(family: str, weight: int, style: str) -> FontFace:
    stem = family.replace(" ", "")
    package = "fontpkg_" + family.lower().replace(" ", "_")
    italic = "-Italic" if style == "italic" else ""
    return FontFace(family, weight, style, package, f"{stem}{italic}[wdth,wght].ttf")


def _code(weight: int, style: str) -> FontFace:
    italic = "-Italic" if style == "italic" else ""
    return FontFace(
        MONO, weight, style, "fontpkg_source_code_pro", f"SourceCodePro{italic}[wght].ttf"
    )


_TYPST = "_data/fonts/render/fonts"  # where symbolica-fonts keeps its files

#: Every weight and style the stylesheets use, declared so WeasyPrint never fakes one.
BODY_FACES: tuple[FontFace, ...] = (
    _source(SERIF, 400, "normal", "Regular"),
    _source(SERIF, 400, "italic", "It"),
    _source(SERIF, 600, "normal", "Semibold"),
    _source(SERIF, 700, "normal", "Bold"),
    _source(SERIF, 700, "italic", "BoldIt"),
    _source(SANS, 400, "normal", "Regular"),
    _source(SANS, 400, "italic", "It"),
    _source(SANS, 600, "normal", "Semibold"),
    _source(SANS, 700, "normal", "Bold"),
    _code(400, "normal"),
    _code(400, "italic"),
    _code(600, "normal"),
    _code(700, "normal"),
)

#: The fallbacks, regular first: the EPUB and HTML embed only a needed family's first face
#: (reading systems embolden and slant it); print declares every weight listed.
FALLBACK_FACES: tuple[FontFace, ...] = (
    _noto(NOTO_SERIF, 400, "normal"),
    _noto(NOTO_SERIF, 400, "italic"),
    _noto(NOTO_SERIF, 700, "normal"),
    _noto(NOTO_SANS, 400, "normal"),
    _noto(NOTO_SANS, 400, "italic"),
    _noto(NOTO_SANS, 700, "normal"),
    FontFace(MATH, 400, "normal", "symbolica", "STIXTwoMath-Regular.woff2", _TYPST),
    FontFace(SYMBOLS, 400, "normal", "manimgx_fonts", "NotoSansSymbols[wght].ttf", ""),
    FontFace(SYMBOLS, 700, "normal", "manimgx_fonts", "NotoSansSymbols[wght].ttf", ""),
    FontFace(EMOJI, 400, "normal", "manimgx_fonts", "NotoEmoji[wght].ttf", ""),
    FontFace(EMOJI, 700, "normal", "manimgx_fonts", "NotoEmoji[wght].ttf", ""),
    FontFace(MONO_SYMBOLS, 400, "normal", "symbolica", "DejaVuSansMono.ttf", _TYPST),
    FontFace(MONO_SYMBOLS, 700, "normal", "symbolica", "DejaVuSansMono-Bold.ttf", _TYPST),
)

FACES: tuple[FontFace, ...] = BODY_FACES + FALLBACK_FACES


def family_faces(family: str) -> tuple[FontFace, ...]:
    return tuple(face for face in FACES if face.family == family)


def font_dirs() -> tuple[Path, ...]:
    """Directories the sandboxed fetcher may read fonts from (package data, not the system)."""
    return tuple(sorted({face.path.parent.resolve() for face in FACES}))


def font_face_css(
    url_for: Callable[[FontFace], str],
    faces: Iterable[FontFace] = FACES,
    format_for: Callable[[FontFace], str] = lambda face: face.css_format,
) -> str:
    """``@font-face`` rules for ``faces``; ``url_for`` says where each edition finds the file
    and ``format_for`` what it is (the installed file, or a subset of it)."""
    rules = []
    for face in faces:
        rules.append(
            "@font-face {\n"
            f'  font-family: "{face.family}";\n'
            f"  font-weight: {face.weight};\n"
            f"  font-style: {face.style};\n"
            f'  src: url("{url_for(face)}") format("{format_for(face)}");\n'
            "}\n"
        )
    return "".join(rules)


def print_url(face: FontFace) -> str:
    """Where WeasyPrint reads ``face``: its file, or for a variable or WOFF2 file a ``data:``
    URI of its static instance at ``face.weight`` (every glyph kept), cut by HarfBuzz.
    WeasyPrint would otherwise instance it with fontTools at every render, which is slow and
    stamps the current time into the font's ``head`` table, so no two PDFs would match."""
    if not face.variable and face.css_format != "woff2":
        return face.path.resolve().as_uri()
    data = base64.b64encode(_static_instance(face)).decode("ascii")
    return f"data:{face.media_type};base64,{data}"


def print_format(face: FontFace) -> str:
    """The ``format()`` hint of what ``print_url`` gives."""
    if not face.variable and face.css_format != "woff2":
        return face.css_format
    return subset_format(face)


@functools.lru_cache(maxsize=32)
def _static_instance(face: FontFace) -> bytes:
    return _harfbuzz_subset(face, None)


def subset_format(face: FontFace) -> str:
    """The ``format()`` hint of a subset made by ``subset``."""
    return "opentype" if face.outline == "otf" else "truetype"


def subset(face: FontFace, text: str, *, with_ascii: bool = True) -> bytes:
    """The face cut down to the characters of ``text`` (plus printable ASCII unless
    ``with_ascii`` is off), keeping HarfBuzz's default layout features (kerning, ligatures,
    marks, numeral styles); a variable face becomes its static instance at ``face.weight``.

    HarfBuzz's subsetter is deterministic for the same inputs, so builds stay byte-identical,
    and an order of magnitude faster than fontTools'.
    """
    chars = frozenset(text) | (_ALWAYS if with_ascii else frozenset())
    return _subset_cached(face, chars)


_ALWAYS = frozenset({chr(c) for c in range(0x20, 0x7F)} | {"\u00a0"})


@functools.lru_cache(maxsize=8)
def _sfnt(face: FontFace) -> bytes:
    """The face's file as a plain sfnt (WOFF2 decompressed), which HarfBuzz can read."""
    data = face.path.read_bytes()
    if data[:4] == b"wOF2":
        from fontTools.ttLib import woff2

        out = io.BytesIO()
        woff2.decompress(io.BytesIO(data), out)
        return out.getvalue()
    return data


@functools.lru_cache(maxsize=64)
def _subset_cached(face: FontFace, chars: frozenset[str]) -> bytes:
    return _harfbuzz_subset(face, sorted(ord(char) for char in chars))


def _harfbuzz_subset(face: FontFace, codepoints: list[int] | None) -> bytes:
    """The face cut to ``codepoints`` with HarfBuzz's default features, or, with ``None``,
    every character and table kept; a variable face pinned to ``face.weight`` either way."""
    import uharfbuzz as hb

    font = hb.Face(hb.Blob(_sfnt(face)))
    request = hb.SubsetInput()
    if codepoints is None:
        request.keep_everything()
        codepoints = sorted(font.unicodes)
    for codepoint in codepoints:
        request.unicode_set.add(codepoint)
    if face.variable:
        request.pin_all_axes_to_default(font)
        request.pin_axis_location(font, "wght", face.weight)
    result = hb.subset(font, request)
    if result is None:
        raise ValueError(f"HarfBuzz could not subset {face.path.name}")
    return bytes(result.blob.data)
