"""What keeps the print edition cheap to lay out and write without changing a byte of its
look (benchmarks/FEATURE-COSTS.md measures it): running heads laid out as one line of words,
and a tagged PDF whose page references are listed once per write."""

from __future__ import annotations

from mxpublish.assemble.documents import THEME


def _print_css() -> str:
    names = ("base.css", "code.css", "apparatus.css", "print.css")
    return "\n".join(THEME.joinpath("styles", name).read_text(encoding="utf-8") for name in names)


def _render(body: str, css: str) -> object:
    import weasyprint

    html = f'<html lang="en"><body><h1 class="section-title">{body}</h1><p>{body}</p></body></html>'
    return weasyprint.HTML(string=html).render(stylesheets=[weasyprint.CSS(string=css)])


def test_margin_boxes_do_not_break_words_like_the_body_does() -> None:
    """The body may break a long URL anywhere and hyphenates; a running head inherits the
    root's text settings, and with them WeasyPrint measured each head by trying a break
    after every letter (a third of a book's layout time). The heads must not inherit them."""
    from weasyprint.formatting_structure.boxes import MarginBox

    document = _render("Running heads stay cheap", _print_css())
    page = document.pages[0]  # type: ignore[attr-defined]
    root = page._page_box.children[0]
    assert root.style["overflow_wrap"] == "anywhere" and root.style["hyphens"] == "auto"
    margin_boxes = [box for box in page._page_box.children if isinstance(box, MarginBox)]
    assert {box.at_keyword for box in margin_boxes} >= {"@top-right", "@bottom-right"}
    for box in margin_boxes:
        assert box.style["overflow_wrap"] == "normal", box.at_keyword
        assert box.style["hyphens"] == "manual", box.at_keyword


def test_page_references_listed_once_give_the_same_tagged_pdf() -> None:
    """The cached ``page_references`` writes the same bytes as pydyf's own, follows pages
    added after the first call, and is pydyf's own again after the write."""
    import pydyf

    from mxpublish.render.conformance import _page_references_once

    words = " ".join(f"word{n}" for n in range(600))
    document = _render(words, "@page { size: 3in 2in; margin: 0.3in } p { margin: 0 }")
    assert len(document.pages) > 3  # type: ignore[attr-defined]
    options = {"pdf_variant": "pdf/ua-1", "pdf_identifier": b"0" * 32}
    plain = document.write_pdf(**options)  # type: ignore[attr-defined]
    original = pydyf.PDF.page_references
    with _page_references_once():
        assert pydyf.PDF.page_references is not original
        cached = document.write_pdf(**options)  # type: ignore[attr-defined]
        pdf = pydyf.PDF()
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        first = pdf.page_references
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        assert len(first) == 1 and len(pdf.page_references) == 2
    assert pydyf.PDF.page_references is original
    assert cached == plain
