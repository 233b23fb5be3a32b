"""Which characters the shipped fonts draw: the fallback families a text needs, the faces an
EPUB or HTML edition embeds (each cut to what it draws), and the characters no face has."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mxpublish.assemble.fonts import (
    BODY_FACES,
    BODY_FAMILIES,
    FACES,
    MONO,
    ROLE_CHAINS,
    FontFace,
    family_faces,
)

_CODE_RE = re.compile(r"<(pre|code|kbd|samp)\b[^>]*>(.*?)</\1>", re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")
#: Characters that are never drawn with a glyph of their own: controls, formatting marks
#: (joiners, soft hyphen), variation selectors, and spaces. Private-use characters ("Co",
#: an icon font's glyphs) are drawn: a face without them prints a box.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Cs", "Cn"})


@dataclass(frozen=True)
class Embed:
    """One face to embed and the text its subset must draw (``with_ascii``: plus ASCII)."""

    face: FontFace
    text: str
    with_ascii: bool


@functools.cache
def family_chars(family: str) -> frozenset[int]:
    """The code points the family's regular face maps (its other faces match it)."""
    import uharfbuzz as hb

    from mxpublish.assemble.fonts import _sfnt

    face = family_faces(family)[0]
    return frozenset(hb.Face(hb.Blob(_sfnt(face))).unicodes)


def _drawn(text: str) -> frozenset[str]:
    """The characters of ``text`` that need a glyph."""
    return frozenset(
        c
        for c in set(text)
        if unicodedata.category(c) not in _INVISIBLE
        and not 0xFE00 <= ord(c) <= 0xFE0F
        and not 0xE0100 <= ord(c) <= 0xE01EF
    )


def assign(text: str, roles: Iterable[str] = ROLE_CHAINS) -> tuple[dict[str, set[str]], set[str]]:
    """For each role's chain, which fallback family draws each character its first family
    lacks; and the characters no family of some chain has (they would print as boxes or in
    a system font). Returns ``({family: chars}, uncovered)``."""
    chars = _drawn(text)
    drawn_by: dict[str, set[str]] = {}
    uncovered: set[str] = set()
    for role in roles:
        chain = ROLE_CHAINS[role]
        for char in chars:
            if ord(char) in EVERY_BODY_FACE_DRAWS or ord(char) in family_chars(chain[0]):
                continue
            family = next((f for f in chain[1:] if ord(char) in family_chars(f)), None)
            if family is None:
                uncovered.add(char)
            else:
                drawn_by.setdefault(family, set()).add(char)
    return drawn_by, uncovered


#: Code points the body faces draw (tests/test_fonts.py asserts it against the fonts), so a
#: text of only these needs no font file read: printable ASCII, Latin-1, Latin Extended-A and
#: the common punctuation (dashes, quotes, bullets, ellipsis, primes, guillemets).
_PUNCTUATION = (0x2010, *range(0x2012, 0x201F), 0x2020, 0x2021, 0x2022, 0x2026, 0x2030)
SURELY_DRAWN = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x180), *_PUNCTUATION, 0x2032, 0x2033, 0x2039, 0x203A]
)


#: Code points each body family draws (asserted in tests/test_fonts.py): text of only these
#: needs no fallback, so an EPUB or HTML edition of it reads no font's character map.
_QUOTES_AND_DASHES = (0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E)
EVERY_BODY_FACE_DRAWS = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x100), *_QUOTES_AND_DASHES, 0x2020, 0x2021, 0x2022]
) | frozenset([0x2026, 0x2030, 0x2039, 0x203A])


def uncovered(text: str) -> set[str]:
    """Characters of ``text`` that no shipped face draws: they would print as a box, or in
    whatever font the reader's system has. The fallbacks are read only if the body faces
    lack something (``check`` stays fast on Latin text)."""
    rest = {c for c in _drawn(text) if ord(c) not in SURELY_DRAWN}
    if not rest:
        return rest
    rest = {c for c in rest if ord(c) not in _chars_of(BODY_FAMILIES)}
    if not rest:
        return rest
    families = tuple(dict.fromkeys(f for chain in ROLE_CHAINS.values() for f in chain))
    return {c for c in rest if ord(c) not in _chars_of(families)}


@functools.cache
def _chars_of(families: tuple[str, ...]) -> frozenset[int]:
    return frozenset().union(*(family_chars(f) for f in families))


def missing_glyphs(lines: Iterable[str]) -> Iterator[tuple[str, int, int]]:
    """Each character of ``lines`` that no shipped face draws, once, with its first 1-based
    line and column."""
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        for char in sorted(uncovered(line) - seen, key=line.index):
            seen.add(char)
            yield char, number, line.index(char) + 1


def code_text(markup: str) -> str:
    """The text inside ``pre``/``code``/``kbd``/``samp`` elements of ``markup``."""
    return "".join(html.unescape(_TAG_RE.sub("", m.group(2))) for m in _CODE_RE.finditer(markup))


def embeds(markup: str) -> tuple[Embed, ...]:
    """The faces an EPUB or HTML edition of ``markup`` embeds: the body faces cut to its text,
    the code faces only if it has code (cut to the code), and the regular face of each
    fallback family it needs, cut to the characters that family draws."""
    # Each face is cut to a set of characters: the distinct ones, sorted, stand for the text
    # (a long book's markup is megabytes; the faces would each make a set of it again).
    code = "".join(sorted(set(code_text(markup))))
    markup = "".join(sorted(set(markup)))
    prose, _ = assign(markup, ("serif", "sans"))
    mono, _ = assign(code, ("mono",))
    needed: dict[str, set[str]] = {}
    for found in (prose, mono):
        for family, chars in found.items():
            needed.setdefault(family, set()).update(chars)
    result = [
        Embed(face, code if face.family == MONO else markup, True)
        for face in BODY_FACES
        if face.family != MONO or code
    ]
    for family in dict.fromkeys(f for chain in ROLE_CHAINS.values() for f in chain[1:]):
        if family in needed:
            result.append(Embed(family_faces(family)[0], "".join(sorted(needed[family])), False))
    return tuple(result)


def print_faces(markup: str) -> tuple[FontFace, ...]:
    """The faces the print edition of ``markup`` declares: the serif and sans faces, the code
    faces if it has code, and every face of each fallback family it needs (declaring the
    others would only cost WeasyPrint time)."""
    chosen = {e.face.family for e in embeds(markup)}
    return tuple(face for face in FACES if face.family in chosen)
