"""Raw HTML: escaped by default; with ``allow_html`` cleaned by nh3 into valid XHTML."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import MINIMAL_CONFIG, MakeProject
from helpers import run_epubcheck
from mxpublish.build import build
from mxpublish.source.markdown import create_parser

HTML_ON = MINIMAL_CONFIG + "allow_html: true\n"


def _render(markdown: str) -> str:
    html = create_parser(allow_html=True).render(markdown, {})
    ET.fromstring(f"<div>{html}</div>")  # well-formed XML, or this raises
    return html


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a <script>steal()</script> b", "<p>a  b</p>"),
        ("a <style>p{}</style> b", "<p>a  b</p>"),
        ('<b onclick="steal()">x</b>', "<p><b>x</b></p>"),
        ('<a href="javascript:steal()">x</a>', "<p><a>x</a></p>"),
        ('<a href="JaVaScRiPt:steal()">x</a>', "<p><a>x</a></p>"),
        (
            '<a href="https://example.org/?a=1&b=2">x</a>',
            '<p><a href="https://example.org/?a=1&amp;b=2">x</a></p>',
        ),
        ('<a href="#local">x</a>', "<p><a>x</a></p>"),
        ('<span style="background:url(http://x/)">x</span>', "<p><span>x</span></p>"),
        ('<span title="a<b" lang="fr">x</span>', '<p><span title="a&lt;b" lang="fr">x</span></p>'),
        ('<span lang="!!" dir="sideways">x</span>', "<p><span>x</span></p>"),
        ("<iframe src='http://x/'>fallback</iframe>", "fallback"),  # an HTML block: no <p>
        ("<object data='x.swf'>alt text</object>", "<p>alt text</p>"),
        ("<embed src='x.swf'>after", "<p>after</p>"),
        ("<form action='http://x/'><input name=a>field</form>", "field"),
        ("a&nbsp;b<br>c", "<p>a\u00a0b<br />c</p>"),
        ("text <div>block</div> more", "<p>text block more</p>"),
        ("<!-- comment --> kept", "<p>kept</p>"),  # the text after a comment: a paragraph
        ("unclosed <b>bold", "<p>unclosed <b>bold</b></p>"),
        ("stray </i> close", "<p>stray  close</p>"),
    ],
)
def test_inline_raw_html_is_cleaned(raw: str, clean: str) -> None:
    assert _render(raw).strip() == clean


def test_markdown_inside_raw_html_is_rendered_and_kept() -> None:
    html = _render('<span class="x">*em* and [a link](https://example.org) and `code`</span>')
    assert html.strip() == (
        '<p><span class="x"><em>em</em> and <a href="https://example.org">a link</a> and '
        "<code>code</code></span></p>"
    )


def test_html_blocks_keep_structure_and_lose_danger() -> None:
    html = _render(
        "<div class='box' onmouseover='x()'>\n<table><tr><td colspan='2' rowspan='x'>cell</td>"
        "</tr></table>\n<details><summary>More</summary>hidden text</details>\n"
        "<script>alert(1)</script><img src=x onerror=alert(1)>\n</div>\n"
    )
    assert '<div class="box">' in html
    assert '<table><tbody><tr><td colspan="2">cell</td></tr></tbody></table>' in html
    assert "<details><summary>More</summary>hidden text</details>" in html
    assert "script" not in html and "alert" not in html and "<img" not in html


def test_raw_html_is_escaped_without_allow_html() -> None:
    html = create_parser().render('<b onclick="x()">bold</b>\n\n<div>\nblock\n</div>\n')
    assert "<b" not in html and "<div" not in html
    assert "&lt;b onclick=“x()”&gt;bold&lt;/b&gt;" in html and "&lt;div&gt;" in html


@pytest.mark.slow
def test_allowed_html_builds_a_valid_epub_and_a_clean_pdf_and_html(
    make_project: MakeProject,
) -> None:
    section = """---
title: Raw HTML
---

Some <b>bold</b>, <i lang="es">cursiva</i>, H<sub>2</sub>O, x<sup>2</sup>, <kbd>Ctrl</kbd>,
<abbr title="Department of Defense">DoD</abbr>, a <a href="https://example.org">link</a>,
<span onclick="steal()">no handler</span>, <a href="javascript:steal()">no script link</a>,
a&nbsp;non-breaking space<br>and a line break.

<div class="box">
<p>A paragraph in a div with <em>emphasis</em>.</p>
<table>
<caption>Table caption</caption>
<tr><th scope="col">Head</th><th>Other</th></tr>
<tr><td>Cell one</td><td rowspan="1">Cell two</td></tr>
</table>
<ol start="3" reversed><li>third item</li><li>fourth item</li></ol>
<dl><dt>Term</dt><dd>Definition text</dd></dl>
<details><summary>Summary line</summary>Details text</details>
<blockquote>Quoted words</blockquote>
<hr>
</div>

<iframe src="http://127.0.0.1:9/">iframe fallback words</iframe>
<form action="http://127.0.0.1:9/"><input name="q">form words</form>
<script>document.write("script words")</script>

The end.
"""
    root = make_project({"source/publication.yaml": HTML_ON, "source/01-raw.md": section})
    result = build(root)
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    outputs = {o.format: o.path for o in result.outputs}
    report = run_epubcheck(outputs["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages
    with zipfile.ZipFile(outputs["epub"]) as archive:
        xhtml = archive.read("EPUB/text/01-raw.xhtml").decode("utf-8")
    web = outputs["html"].read_text(encoding="utf-8")
    for document in (xhtml, web.split("<main")[1]):
        for danger in ("<script", "onclick", "javascript:", "<iframe", "<form", "<input", "steal"):
            assert danger not in document, danger
        text = re.sub(r"<[^>]+>", " ", document)
        for words in (
            "no handler",
            "no script link",
            "iframe fallback words",
            "form words",
            "Definition text",
            "Details text",
            "The end.",
        ):
            assert words in " ".join(text.split()), words
        assert "script words" not in text
    pdf = _pdf_text(outputs["pdf"])
    for words in ("Cell two", "fourth item", "Quoted words", "iframe fallback words", "cursiva"):
        assert words in pdf, words


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)
