"""A long print edition laid out in parts gives the PDF one layout gives: same pages, text,
page numbers, running heads, page map, bookmarks and links; valid PDF/UA; cached per part."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import MINIMAL_CONFIG
from helpers import PNG

BOOK_CSS = "@media print { .chapter + .chapter { break-before: page; margin-top: 0; } }\n"
CHAPTERS = 14


def _chapter(n: int) -> str:
    other = (
        f"{n + 5:02d}-part-{n + 5}.md#figures-{n + 5}"
        if n + 5 <= CHAPTERS
        else "01-part-1.md#figures-1"
    )
    return f"""---
title: Part {n} of the Ledger
---

Part {n} opens with a sentence that cites its source.[^src] It looks ahead to
[the figures of a later part]({other}). {"A longer paragraph of running prose. " * 40}

## Figures {n}

Table: Tonnage in part {n}

| Port | Tonnes |
|:-----|-------:|
| Veracruz | {n * 17} |

![A dot standing for part {n}](images/dot.png "The dot of part {n}")

```python
total_{n} = sum(row.tonnes for row in part_{n})
```

{"Closing prose of the part, long enough to fill a page or so. " * 30}

[^src]: Ledger {n}, page {n * 3}.
"""


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("parts") / "book"
    (root / "source" / "images").mkdir(parents=True)
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text(BOOK_CSS, encoding="utf-8")
    (root / "source" / "publication.yaml").write_text(
        MINIMAL_CONFIG + "figure_numbers: true\nfootnote_numbering: document\n"
    )
    (root / "source" / "images" / "dot.png").write_bytes(PNG)
    for n in range(1, CHAPTERS + 1):
        (root / "source" / f"{n:02d}-part-{n}.md").write_text(_chapter(n), encoding="utf-8")
    return root


def _print(root: Path, parts: object, variant: str = "pdf/ua-1", write: bool = True) -> object:
    from mxpublish.assemble.documents import environment
    from mxpublish.build import build_time, load
    from mxpublish.render.pdf import print_edition

    project, publication = load(root)
    return print_edition(
        project,
        publication,
        environment(project),
        build_time(publication),
        variant=variant,
        write=write,
        parts=parts,  # type: ignore[arg-type]
    )


def _small_parts(cache: Path | None = None, workers: int = 1) -> object:
    from mxpublish.render.pdf import PartOptions

    return PartOptions(cache, workers, part_chars=15_000, split_chars=0)


@pytest.fixture(scope="module")
def whole_and_parts(book: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    cache = tmp_path_factory.mktemp("parts-cache")
    whole = _print(book, None)
    parted = _print(book, _small_parts(cache, workers=2))
    return whole, parted, cache


def test_the_book_is_laid_out_in_several_parts(book: Path) -> None:
    from mxpublish.assemble.documents import document_html, environment
    from mxpublish.build import load
    from mxpublish.render.parts import split_html

    project, publication = load(book)
    html = document_html(publication, environment(project), "print")
    parts = split_html(html, [s.id for s in publication.sections], 15_000)
    assert parts is not None and len(parts) >= 4
    assert "titlepage" in parts[0].ids and all("titlepage" not in p.ids for p in parts[1:])
    assert sum(p.html.count('<section class="chapter"') for p in parts) == CHAPTERS


def test_parts_give_the_pages_of_one_layout(whole_and_parts: tuple, tmp_path: Path) -> None:
    whole, parted, _ = whole_and_parts
    assert parted.pages == whole.pages > CHAPTERS
    assert parted.page_starts == whole.page_starts
    assert dict(parted.anchors) == dict(whole.anchors)
    (tmp_path / "whole.pdf").write_bytes(whole.data)
    (tmp_path / "parts.pdf").write_bytes(parted.data)
    one, many = PdfReader(tmp_path / "whole.pdf"), PdfReader(tmp_path / "parts.pdf")
    # Every page's text: body, contents page numbers, "(page N)" cross-references, running
    # heads and "Page X of Y" footers.
    for number, (a, b) in enumerate(zip(one.pages, many.pages, strict=True), 1):
        assert a.extract_text() == b.extract_text(), number
    assert f"Page {whole.pages} of {whole.pages}" in many.pages[-1].extract_text()


def test_joined_outline_and_links_lead_where_one_layout_does(
    whole_and_parts: tuple, tmp_path: Path
) -> None:
    whole, parted, _ = whole_and_parts
    (tmp_path / "whole.pdf").write_bytes(whole.data)
    (tmp_path / "parts.pdf").write_bytes(parted.data)
    one, many = PdfReader(tmp_path / "whole.pdf"), PdfReader(tmp_path / "parts.pdf")

    def outline(reader: PdfReader) -> list[tuple[str, int]]:
        flat, stack = [], list(reversed(reader.outline))
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            else:
                flat.append((item.title, reader.get_destination_page_number(item)))
        return flat

    assert outline(many) == outline(one)
    assert len([t for t, _ in outline(many) if t.startswith("Part ")]) == CHAPTERS

    def links(reader: PdfReader) -> list[tuple[int, int]]:
        found = []
        named = reader.named_destinations
        for number, page in enumerate(reader.pages):
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                dest = annot.get("/Dest")
                if dest is None and "/A" in annot and annot["/A"].get("/S") == "/GoTo":
                    dest = annot["/A"]["/D"]
                if dest is None:
                    continue
                if not isinstance(dest, list):
                    dest = named[str(dest)]
                    target = reader.get_destination_page_number(dest)
                else:
                    target = reader.get_page_number(dest[0].get_object())
                found.append((number, target))
        return found

    assert links(many) == links(one)
    assert any(target > number + 2 for number, target in links(many))  # across parts


def test_every_pdf_variant_built_in_parts_conforms(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build lays the book out in parts (small ones here) and each variant passes `page`."""
    from mxpublish.render import parts as parts_module
    from test_conformance import assert_conforms

    monkeypatch.setattr(parts_module, "SPLIT_CHARS", 0)
    monkeypatch.setattr(parts_module, "PART_CHARS", 15_000)
    joined: list[int] = []
    real = parts_module.render_parts

    def counting(*args: object, **kwargs: object) -> object:
        joined.append(len(args[1]))  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parts_module, "render_parts", counting)
    assert_conforms(book, tmp_path)
    assert len(joined) == 5 and min(joined) >= 4  # every variant, each in several parts


def test_unchanged_parts_come_from_the_cache(
    book: Path, whole_and_parts: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mxpublish.render import parts as parts_module

    _, parted, cache = whole_and_parts
    copy = tmp_path / "book"
    shutil.copytree(book, copy)
    shutil.copytree(cache, tmp_path / "cache")
    laid_out: list[str] = []
    real = parts_module.layout_html

    def counting(html: str, css: str, **kwargs: object) -> object:
        laid_out.append(html)
        return real(html, css, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parts_module, "layout_html", counting)
    again = _print(copy, _small_parts(tmp_path / "cache"))
    assert again.data == parted.data
    assert laid_out == []  # the probe of how chapters start is cached too
    chapter = copy / "source" / f"{CHAPTERS:02d}-part-{CHAPTERS}.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more word.\n")
    laid_out.clear()
    edited = _print(copy, _small_parts(tmp_path / "cache"))
    assert len(laid_out) == 1  # the last part: its page count and the numbers did not move
    assert "One more word" in _text(edited.data)


def _text(data: bytes) -> str:
    import io

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_briefing_whose_sections_run_on_is_laid_out_whole(tmp_path: Path) -> None:
    """Cut between run-on sections, a part would start on a page the whole does not."""
    from helpers import REPO
    from mxpublish.assemble.coverage import print_faces
    from mxpublish.assemble.documents import document_html, environment, stylesheet
    from mxpublish.assemble.fonts import font_dirs, font_face_css, print_format, print_url
    from mxpublish.build import load
    from mxpublish.render.parts import chapters_start_pages, split_html

    project, publication = load(REPO)
    html = document_html(publication, environment(project), "print")
    parts = split_html(html, [s.id for s in publication.sections], 1)
    assert parts is not None and len(parts) == len(publication.sections)
    # The print edition's faces, as print_edition gives them: the layout sees no other font.
    css = font_face_css(print_url, print_faces(html), print_format) + stylesheet(project, "print")
    assert not chapters_start_pages(parts[1], css, REPO, font_dirs())
    assert chapters_start_pages(parts[1], css + BOOK_CSS, REPO, font_dirs())


@pytest.mark.parametrize(
    "css",
    [
        "a::after { content: target-counter(attr(href), chapter); }",
        "a::after { content: target-text(attr(href)); }",
        "@page :left { margin-left: 1in; }",
        ".chapter { break-before: right; }",
    ],
)
def test_styles_that_need_the_whole_layout_keep_it(css: str) -> None:
    from mxpublish.render.parts import whole_only

    assert whole_only(css)
    assert not whole_only(
        "a::after { content: target-counter(attr(href url), page); } "
        '@page { @bottom-right { content: counter(page) " of " counter(pages); } }'
    )


def test_part_css_continues_numbers_and_strings() -> None:
    from mxpublish.render.parts import Numbers, part_css

    css = (
        "a::after { content: target-counter(attr(href url), page); }\n"
        '@page { @bottom-right { content: "Page " counter(page) " of " counter(pages); } }'
    )
    numbers = Numbers((0, 12, 30), 41, ())
    first = part_css(css, 0, numbers, {"doc-title": 'A "B"'})
    assert "attr(data-mx-page)" in first and '" of " "41"' in first
    assert "counter-reset" not in first
    third = part_css(css, 2, numbers, {"doc-title": 'A "B"'})
    assert "@page :first { counter-reset: page 30; }" in third  # the lead page: 30, then 31
    assert 'main { string-set: doc-title "A \\"B\\""; }' in third
