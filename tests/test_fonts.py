"""Fonts: the declared faces exist in the installed packages; subsets keep every character."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont

from conftest import MakeProject
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


def test_a_private_use_character_needs_a_glyph_like_any_other() -> None:
    """An icon font's private-use character is drawn (as a box, if no face has it), so it
    must count as uncovered: treating it as invisible hid it from `check`."""
    from mxpublish.assemble.coverage import uncovered

    assert uncovered("Icon \uf0c1 here, joiner \u200d, space\u00a0.") == {"\uf0c1"}


def test_weasyprint_warnings_about_boxes_fold_into_one_listing_them() -> None:
    from mxpublish.errors import warning
    from mxpublish.render.weasyprint_env import BOXES_LISTED, folded

    def box(char: str) -> object:
        return warning(
            "PDF-RENDER",
            f'.notdef glyph rendered for Unicode string unsupported by fonts: "{char}" '
            f"(U+{ord(char):04X})",
        )

    chars = [chr(0x4E00 + i) for i in range(BOXES_LISTED + 3)]
    css = warning("PDF-RENDER", "Ignored `colour: red` at 1:1, unknown property.")
    found = folded([css, *(box(c) for c in chars), box(chars[0]), css])  # type: ignore[list-item]
    assert len(found) == 3 and found[0] == found[2] == css
    assert found[1].message.startswith(f"{BOXES_LISTED + 3} distinct characters")
    assert found[1].message.endswith(" ".join(chars[:BOXES_LISTED]) + " and 3 more")
    assert folded([css]) == (css,)


def test_the_pdf_draws_with_no_font_of_this_machine(make_project: MakeProject) -> None:
    """A character the shipped faces lack is a box in the PDF, the same on every machine:
    WeasyPrint's Fontconfig sees no system font (here Debian's DejaVu Sans has Hebrew and
    was drawn from before). Its warnings about the boxes come as one line."""
    import os

    from helpers import pdf_font_names
    from mxpublish.build import build

    before = os.environ.get("FONTCONFIG_FILE")
    text = "Shalom: \u05e9\u05dc\u05d5\u05dd, and \u4e2d\u6587, and \u05e9 again.\n"
    root = make_project({"source/01-a.md": f"---\ntitle: A\n---\n\n{text}"})
    result = build(root, formats=["pdf"], use_cache=False)
    assert os.environ.get("FONTCONFIG_FILE") == before
    shipped = {face.family.replace(" ", "-") for face in FACES}
    used = pdf_font_names(result.outputs[0].path)
    assert used and all(
        any(name == family or name.startswith(family + "-") for family in shipped) for name in used
    ), used
    boxes = [d for d in result.diagnostics if "no embedded font has" in d.message]
    assert len(boxes) == 1, result.diagnostics
    assert boxes[0].message.startswith("6 distinct characters")
    assert not [d for d in result.diagnostics if ".notdef" in d.message]
