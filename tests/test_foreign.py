"""Markdown written for Pandoc, Quarto, mdBook or GitHub: set where we can, named where we
cannot (MARKUP-UNSUPPORTED), never printed as the author's text without a word."""

from __future__ import annotations

import pytest

from conftest import MakeProject
from mxpublish.check import check_project
from mxpublish.project import find_project
from mxpublish.source.highlight import language_name
from mxpublish.source.markdown import create_parser
from mxpublish.source.sections import load_publication


def _html(text: str) -> str:
    return create_parser().render(text)


def _section(body: str) -> str:
    return f"---\ntitle: A\n---\n\n{body}"


def _warnings(make_project: MakeProject, body: str) -> list[tuple[int | None, str]]:
    root = make_project({"source/01-a.md": _section(body)})
    return [(d.line, d.message) for d in check_project(root) if d.code == "MARKUP-UNSUPPORTED"]


def test_pandoc_and_quarto_divs_that_name_a_callout_are_callouts() -> None:
    html = _html(
        '::: {.callout-tip title="Heads up"}\nFirst.\n:::\n\n'
        "::: Warning\nSecond.\n:::\n\n::: {.note}\nThird.\n:::\n"
    )
    assert html.count('<aside class="callout') == 3
    assert 'callout-note" role="note" aria-label="Heads up"' in html
    assert '<p class="callout-label">Heads up</p>' in html
    assert 'callout-warning" role="note" aria-label="Warning"' in html
    assert ":::" not in html and "{" not in html


def test_any_other_div_keeps_its_content_and_classes_without_its_fences() -> None:
    html = _html("::::: {#side .sidebar .wide}\nSide *text*.\n\n::: note\nIn.\n:::\n:::::\n")
    assert html.startswith('<div class="fenced-div sidebar wide">\n<p>Side <em>text</em>.</p>')
    assert html.rstrip().endswith("</aside>\n</div>")
    assert ":::" not in html and "#side" not in html and 'id="side"' not in html


def test_raw_blocks_and_spans_for_other_formats_are_left_out_with_a_warning(
    make_project: MakeProject,
) -> None:
    body = "```{=latex}\n\\newpage\n```\n\nText `<b>`{=html} stays.\n"
    assert "newpage" not in _html(body) and "{=html}" not in _html(body)
    assert "Text  stays." in _html(body)
    assert _warnings(make_project, body) == [
        (5, "raw latex block (`{=latex}`) is for another output format and is left out"),
        (9, "raw html span (`{=html}`) is for another output format and is left out"),
    ]


@pytest.mark.parametrize(
    ("body", "line", "starts"),
    [
        ("| a | b |\n|---|---|\n| `p || q` | c |\n", 7, "table row has 4 cells but the header 2"),
        ("> | a |\n> |---|\n> | 1 | 2 |\n", 7, "table row has 2 cells but the header 1"),
        ("+---+---+\n| a | b |\n+===+===+\n| 1 | 2 |\n+---+---+\n", 5, "a Pandoc grid table"),
        ("Name   Size\n-----  -----\nA      1\n", 6, "a Pandoc simple table"),
        ("Before.\n\n{{#include ../shared.md}}\n", 7, "mdBook directive `{{#include"),
        ("```rust\n{{#rustdoc_include ../x.rs:2}}\n```\n", 5, "mdBook directive"),
        ("See the [style guide][house] now.\n", 5, "reference link [style guide][house]"),
        (":::\nLone fence.\n", 5, "`:::` opens no block here"),
    ],
)
def test_what_prints_as_written_is_named_at_its_line(
    make_project: MakeProject, body: str, line: int, starts: str
) -> None:
    found = _warnings(make_project, body)
    assert [(at, message[: len(starts)]) for at, message in found] == [(line, starts)]


def test_well_formed_markdown_raises_no_warning(make_project: MakeProject) -> None:
    body = (
        "| a | b |\n|---|---|\n| `p \\|\\| q` | c |\n| 1 |\n\n"
        "See the [guide][g] and [the site].\n\n[g]: https://example.org\n"
        "[the site]: https://example.org/site\n\n---\n\nLast words.\n"
    )
    assert _warnings(make_project, body) == []


def test_warnings_reach_the_build_and_do_not_stop_it(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": _section("Here {{#include x.md}} goes.\n")})
    publication = load_publication(find_project(root))
    assert [d.code for d in publication.diagnostics] == ["MARKUP-UNSUPPORTED"]
    assert "{{#include x.md}}" in publication.sections[0].html  # printed, and said so


@pytest.mark.parametrize(
    ("info", "language"),
    [("{#counter .python .numberLines}", "python"), ("{.js}", "js"), ("{#only}", "")],
)
def test_pandoc_fence_attributes_name_the_language(info: str, language: str) -> None:
    assert language_name(info) == language


def test_bracketed_spans_carry_their_classes() -> None:
    html = _html("A [few words]{.smallcaps} and [more]{.underline}, but [sic] stays.\n")
    assert '<span class="smallcaps">few words</span>' in html
    assert '<span class="underline">more</span>' in html
    assert "[sic] stays." in html


def test_a_div_that_is_never_closed_is_no_div(make_project: MakeProject) -> None:
    """mkdocstrings writes `::: package.name` lines that never close: not divs (each would
    open inside the last, past the nesting limit), but text named by a warning."""
    body = "".join(f"::: pkg.module{n}\n    options:\n        level: 5\n\n" for n in range(60))
    html = _html(body + "::: {.sidebar}\nIn a div.\n:::\n")
    assert html.count("<div") == 1 and "::: pkg.module59" in html
    found = _warnings(make_project, body + "The end.\n")
    assert len(found) == 60 and all("`::: pkg.module" in m for _, m in found)


def test_the_closing_fence_is_looked_for_only_at_a_div_opening(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The search reads on to the end of the text: run at every block start, it made parsing
    quadratic (3,000 paragraphs took 30 times as long)."""
    import mxpublish.source.foreign as foreign

    calls: list[int] = []
    original = foreign._closes

    def counting(state, start, end):  # type: ignore[no-untyped-def]
        calls.append(start)
        return original(state, start, end)

    monkeypatch.setattr(foreign, "_closes", counting)
    text = "\n\n".join(f"Paragraph {n}." for n in range(200))
    html = _html(text + "\n\n::: {.aside}\nIn.\n:::\n\n::: never.closed\n\nEnd.\n")
    assert '<div class="fenced-div aside">' in html
    assert len(calls) == 2  # the two `::: name` lines, not the 200 paragraphs
