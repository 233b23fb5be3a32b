"""Fonts: the declared faces exist in the installed packages; subsets keep every character."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont

from mxpublish.assemble.fonts import FACES, _subset_cached, font_dirs, font_face_css, subset


def test_every_face_is_an_installed_file() -> None:
    for face in FACES:
        assert face.path.is_file(), face.path
        assert face.path.parent.resolve() in font_dirs()


def test_font_face_css_declares_each_weight_and_style() -> None:
    css = font_face_css(lambda face: f"fonts/{face.filename}")
    assert css.count("@font-face") == len(FACES)
    assert 'font-family: "Source Serif Pro";\n  font-weight: 700;\n  font-style: italic;' in css


def test_subset_keeps_the_text_and_is_deterministic() -> None:
    text = "Mexico’s “troops” – naïve café ½"
    face = FACES[0]
    data = subset(face, text)
    _subset_cached.cache_clear()  # else the second call returns the cached bytes themselves
    again = subset(face, text[::-1])  # same characters, other order
    assert again is not data and again == data
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert all(ord(ch) in cmap for ch in set(text) if ch != " ")
    full = TTFont(str(face.path)).getBestCmap()
    assert len(cmap) < len(full) / 2  # really a subset


def test_the_characters_check_takes_as_drawn_are_drawn_by_the_body_faces() -> None:
    """`check` skips reading the fonts for text made only of SURELY_DRAWN: each of them must
    really be in a body face, or a missing glyph would go unreported."""
    from mxpublish.assemble.coverage import SURELY_DRAWN, _chars_of, uncovered
    from mxpublish.assemble.fonts import BODY_FAMILIES

    assert _chars_of(BODY_FAMILIES) >= SURELY_DRAWN
    assert uncovered("Plain text — “quoted”, naïve… ‹ok›") == set()
    assert uncovered("Yi \ua000 and Greek \u03a9") == {"\ua000"}  # past the fast path


def test_the_characters_every_body_face_draws_are_drawn_by_each() -> None:
    """EPUB and HTML skip the character maps for text of only these: each body family must
    draw every one, or a needed fallback face would be left out."""
    from mxpublish.assemble.coverage import EVERY_BODY_FACE_DRAWS, family_chars
    from mxpublish.assemble.fonts import BODY_FAMILIES

    for family in BODY_FAMILIES:
        assert family_chars(family) >= EVERY_BODY_FACE_DRAWS, family
