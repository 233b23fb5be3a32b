"""render/pdf.py's page map reads WeasyPrint's private ``Page._page_box`` (there is no public
API for a laid-out page's boxes); pyproject.toml bounds WeasyPrint above, and these tests fail
on a WeasyPrint that renames or restructures it."""

from __future__ import annotations

from mxpublish.model import PageStart
from mxpublish.render.pdf import page_starts


def _document(body: str) -> object:
    import weasyprint

    css = weasyprint.CSS(string="@page { size: 3in 2in; margin: 0.2in } p { margin: 0 }")
    return weasyprint.HTML(string=f"<html><body>{body}</body></html>").render(stylesheets=[css])


def test_weasyprint_pages_still_have_a_page_box_with_the_html_root() -> None:
    document = _document("<p>Hello</p>")
    page = document.pages[0]  # type: ignore[attr-defined]
    assert hasattr(page, "_page_box"), "WeasyPrint dropped Page._page_box: see render/pdf.py"
    assert page._page_box.children[0].element.tag.rsplit("}", 1)[-1] == "html"


def test_page_starts_finds_where_each_page_begins() -> None:
    words = " ".join(f"w{n}" for n in range(400))
    document = _document(
        '<section class="titlepage"><p>Title</p></section>'
        f'<section class="chapter" id="one" style="break-before: page"><p>{words}</p></section>'
    )
    starts = page_starts(document)
    assert starts[0] == PageStart(1, "titlepage")
    assert starts[1] == PageStart(2, "section", "one", 0, 0)
    assert len(starts) > 2, "the long paragraph should run onto a third page"
    assert all(s.section_id == "one" and s.block == 0 and s.offset > 0 for s in starts[2:])
    assert [s.page for s in starts] == list(range(1, len(starts) + 1))
