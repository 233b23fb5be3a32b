"""Markdown constructs on small inline projects: the screen and print HTML of each, and the
errors an author gets for images and notes that cannot be published."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from conftest import MINIMAL_CONFIG, MakeProject
from helpers import GIF, PNG, SVG, XHTML
from mxpublish.assemble.documents import environment, epub_documents
from mxpublish.check import lint
from mxpublish.cli import main
from mxpublish.errors import SourceError
from mxpublish.model import Publication, Section
from mxpublish.project import Project
from mxpublish.source.sections import load_publication

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _load(root: Path) -> Publication:
    return load_publication(Project(root))


def _section(make_project: MakeProject, body: str, config: str = MINIMAL_CONFIG) -> Section:
    root = make_project(
        {"source/publication.yaml": config, "source/01-a.md": f"---\ntitle: A\n---\n\n{body}"}
    )
    return _load(root).sections[0]


def _xml(fragment: str) -> ET.Element:
    """A section fragment as XML (raises if it is not well-formed XHTML)."""
    return ET.fromstring(
        f'<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f"{fragment}</div>"
    )


def _errors(exc: pytest.ExceptionInfo[SourceError]) -> list[tuple[str, str | None, int | None]]:
    return [(d.code, d.file, d.line) for d in exc.value.diagnostics]


# --- notes ----------------------------------------------------------------------------------

NOTES = "One[^a] and two[^b], one again[^a].\n\n[^a]: First note.\n\n[^b]: Second\n    note.\n"


def test_screen_notes_are_epub_footnotes_with_back_links(make_project: MakeProject) -> None:
    root = _xml(_section(make_project, NOTES).html)
    refs = [a for a in root.iter(f"{XHTML}a") if a.get(EPUB_TYPE) == "noteref"]
    assert [(a.text, a.get("href"), a.get("role")) for a in refs] == [
        ("1", "#fn-a-1", "doc-noteref"),
        ("2", "#fn-a-2", "doc-noteref"),
        ("1", "#fn-a-1", "doc-noteref"),
    ]
    asides = [e for e in root.iter(f"{XHTML}aside") if e.get(EPUB_TYPE) == "footnote"]
    assert [(e.get("id"), e.get("role")) for e in asides] == [
        ("fn-a-1", "doc-footnote"),
        ("fn-a-2", "doc-footnote"),
    ]
    ref_ids = {a.get("id") for a in refs}
    backs = [a for a in root.iter(f"{XHTML}a") if a.get("role") == "doc-backlink"]
    assert [a.get("href") for a in backs] == ["#fnref-a-1", "#fnref-a-1-2", "#fnref-a-2"]
    assert {a.get("href", "")[1:] for a in backs} == ref_ids
    assert "".join(asides[1].itertext()).split() == ["2.", "Second", "note."]


def test_print_notes_sit_at_their_call(make_project: MakeProject) -> None:
    html = _section(make_project, NOTES).print_html
    root = _xml(html)
    paragraph = root.find(f"{XHTML}p")
    assert paragraph is not None
    notes = [s for s in paragraph.iter(f"{XHTML}span") if s.get("class") == "footnote"]
    assert [(n.get("id"), n.get("data-n"), "".join(n.itertext())) for n in notes] == [
        ("fn-a-1", "1", "First note."),
        ("fn-a-2", "2", "Second note."),  # the source's line break is a space in print
    ]
    assert '<sup class="footnote-ref"><a href="#fn-a-1">1</a></sup>' in html  # second call
    assert "aside" not in html and "footnotes" not in html


def test_notes_numbered_per_document_or_per_section(make_project: MakeProject) -> None:
    files = {
        "source/01-a.md": "---\ntitle: A\n---\n\nA[^1] b[^2].\n\n[^1]: x.\n\n[^2]: y.\n",
        "source/02-b.md": "---\ntitle: B\n---\n\nC[^1].\n\n[^1]: z.\n",
    }
    document = _load(make_project(files)).sections[1]
    assert '">3</a>' in document.html and 'data-n="3"' in document.print_html
    config = MINIMAL_CONFIG + "footnote_numbering: section\n"
    section = _load(make_project({**files, "source/publication.yaml": config})).sections[1]
    assert '">1</a>' in section.html and 'data-n="1"' in section.print_html
    assert 'id="fn-b-1"' in section.html  # ids stay unique across the document


@pytest.mark.parametrize(
    ("block", "name"),
    [("- a list", "list"), ("```\n    code\n    ```", "code block"), ("> quoted", "quotation")],
)
def test_a_note_holding_a_block_is_an_error(
    make_project: MakeProject, block: str, name: str
) -> None:
    with pytest.raises(SourceError) as exc:
        _section(make_project, f"Text[^1].\n\n[^1]: Intro.\n\n    {block}\n")
    assert _errors(exc) == [("FOOTNOTE-BLOCK", "source/01-a.md", 9)]
    assert f"holds a {name};" in exc.value.diagnostics[0].message


def test_the_constructs_publication_checks_clean() -> None:
    """Sections that end in a table, a figure, code or a line block are not "mid-sentence"."""
    project = Project(Path(__file__).parent / "projects" / "constructs")
    assert lint(load_publication(project)) == []


def test_notes_and_tables_are_not_running_text(make_project: MakeProject) -> None:
    body = "Ends well[^1].\n\n## Table\n\n| a |\n|---|\n| 42 |\n\n[^1]: A note without end\n"
    assert _section(make_project, body).text == "Ends well."


# --- links ----------------------------------------------------------------------------------

LINKS = (
    "See [the rules](https://example.org/rules), <https://example.org/bare>, "
    "[mail](mailto:desk@example.org) and [here](#local).\n\n## Local\n\nx.\n"
)


@pytest.mark.parametrize(
    ("mode", "expected", "absent"),
    [
        (
            "footnote",
            '<span class="footnote link-note" data-n="1">'
            '<a href="https://example.org/rules">https://example.org/rules</a></span>',
            "link-url",
        ),
        ("inline", '<span class="link-url"> &lt;https://example.org/rules&gt;</span>', "link-note"),
        ("none", '<a href="https://example.org/rules">the rules</a>, ', "link-"),
    ],
)
def test_print_shows_external_urls_as_configured(
    make_project: MakeProject, mode: str, expected: str, absent: str
) -> None:
    section = _section(make_project, LINKS, MINIMAL_CONFIG + f"print_urls: {mode}\n")
    assert expected in section.print_html
    assert absent not in section.print_html
    assert section.print_html.count("example.org/bare") == 2  # href and text, not repeated
    if mode != "none":
        assert "desk@example.org" in section.print_html.split("mailto:desk@example.org")[-1]
    assert "link-" not in section.html and "<https" not in section.html


def test_internal_links_are_marked_for_page_numbers(make_project: MakeProject) -> None:
    section = _section(make_project, LINKS)
    assert '<a href="#local" class="xref">here</a>' in section.html
    assert 'class="xref"' in section.print_html


# --- figures, images and tables ---------------------------------------------------------


def test_titled_image_alone_is_a_figure(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/images/a.png": PNG,
            "source/images/b.gif": GIF,
            "source/01-a.md": "---\ntitle: A\n---\n\n"
            '![A dot](images/a.png "A *small* dot"){#fig-dot}\n\n'
            "Inline ![tiny](images/b.gif) image, and [the dot](#fig-dot).\n",
        }
    )
    section = _load(root).sections[0]
    root_el = _xml(section.html)
    figure = root_el.find(f"{XHTML}figure")
    assert figure is not None and figure.get("id") == "fig-dot"
    img = figure.find(f"{XHTML}img")
    assert img is not None
    assert (img.get("src"), img.get("alt"), img.get("title")) == (
        "source/images/a.png",
        "A dot",
        None,
    )
    caption = figure.find(f"{XHTML}figcaption")
    assert caption is not None and "".join(caption.itertext()) == "A small dot"
    assert caption.find(f"{XHTML}em") is not None
    inline = root_el.findall(f"{XHTML}p")[0].find(f"{XHTML}img")
    assert inline is not None and inline.get("src") == "source/images/b.gif"
    assert [(a.path, a.media_type) for a in section.assets] == [
        ("source/images/a.png", "image/png"),
        ("source/images/b.gif", "image/gif"),
    ]
    assert 'href="#fig-dot" class="xref"' in section.html


def test_titled_image_in_a_tight_list_stays_an_image(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/a.png": PNG,
            "source/01-a.md": '---\ntitle: A\n---\n\n- ![Dot](a.png "T")\n- b\n',
        }
    )
    html = _load(root).sections[0].html
    assert '<li><img src="source/a.png" alt="Dot" title="T" /></li>' in html
    assert "figure" not in html


def test_figure_and_table_numbers_when_configured(make_project: MakeProject) -> None:
    body = (
        '![Dot](images/a.png "One")\n\n![Dot](images/a.png "Two")\n\n'
        "Table: Counts\n\n| a | b |\n|--:|:-:|\n| 1 | 2 |\n"
    )
    files: dict[str, str | bytes] = {
        "source/images/a.png": PNG,
        "source/01-a.md": f"---\ntitle: A\n---\n\n{body}",
    }
    plain = _load(make_project(files)).sections[0].html
    assert "<figcaption>One</figcaption>" in plain and "<caption>Counts</caption>" in plain
    config = MINIMAL_CONFIG + "figure_numbers: true\n"
    files["source/publication.yaml"] = config
    numbered = _load(make_project(files)).sections[0]
    for html in (numbered.html, numbered.print_html):
        assert '<span class="caption-label">Figure 2.</span> Two' in html
        assert '<caption><span class="caption-label">Table 1.</span> Counts</caption>' in html
    assert '<th style="text-align:right">a</th>' in numbered.html
    assert '<td style="text-align:center">2</td>' in numbered.html
    assert len(numbered.assets) == 1


def test_captioned_table_with_an_id_is_a_link_target(make_project: MakeProject) -> None:
    files = {
        "source/01-a.md": "---\ntitle: A\n---\n\nTable: Counts\n\n{#tbl-counts}\n"
        "| a |\n|---|\n| 1 |\n",
        "source/02-b.md": "---\ntitle: B\n---\n\nSee [the counts](01-a.md#tbl-counts).\n",
    }
    publication = _load(make_project(files))
    assert publication.sections[0].html.startswith('<table id="tbl-counts">\n<caption>Counts')
    assert '<a href="#tbl-counts" class="xref">' in publication.sections[1].html
    assert publication.section_of("tbl-counts") == publication.sections[0]


def test_table_caption_after_the_table(make_project: MakeProject) -> None:
    html = _section(make_project, "| a |\n|---|\n| 1 |\n\nTable: Below\n\nAfter.\n").html
    assert html.startswith("<table>\n<caption>Below</caption>")
    assert "<p>After.</p>" in html


def test_image_problems_are_reported_together_with_lines(make_project: MakeProject) -> None:
    root = make_project(
        {
            "outside.png": PNG,
            "source/images/fake.png": b"GIF89a not really a png",
            "source/images/ok.svg": SVG,
            "source/images/photo.webp": b"RIFF....WEBP",
            "source/01-a.md": "---\ntitle: A\n---\n\n"
            "![](images/ok.svg)\n\n"
            "Text ![gone](images/missing.png)\nand ![fake](images/fake.png).\n\n"
            "![x](../../outside.png) ![web](https://example.org/a.png)\n\n"
            "![webp](images/photo.webp)\n",
        }
    )
    with pytest.raises(SourceError) as exc:
        _load(root)
    assert _errors(exc) == [
        ("IMAGE-ALT", "source/01-a.md", 5),
        ("IMAGE-MISSING", "source/01-a.md", 7),
        ("IMAGE-TYPE", "source/01-a.md", 8),
        ("IMAGE-REMOTE", "source/01-a.md", 10),  # one line: sorted by code
        ("SANDBOX-ESCAPE", "source/01-a.md", 10),
        ("IMAGE-TYPE", "source/01-a.md", 12),
    ]
    messages = [d.message for d in exc.value.diagnostics]
    assert "images/missing.png" in messages[1] and "its content is image/gif" in messages[2]


def test_check_reports_missing_alt_text(make_project: MakeProject) -> None:
    root = make_project(
        {"source/i.png": PNG, "source/01-a.md": "---\ntitle: A\n---\n\n![](i.png)\n"}
    )
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 1
    assert "source/01-a.md:5: error: IMAGE-ALT image 'i.png' has no alt text" in result.output


def test_epub_documents_point_images_at_the_package(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/my pics/A Map.svg": SVG,
            "source/01-a.md": '---\ntitle: A\n---\n\n![A map](<my pics/A Map.svg> "Map")\n',
        }
    )
    project = Project(root)
    publication = load_publication(project)
    assert publication.assets[0].path == "source/my pics/A Map.svg"
    assert 'src="source/my%20pics/A%20Map.svg"' in publication.sections[0].print_html
    docs = epub_documents(publication, environment(project))
    assert '<img src="../images/001-a-map.svg" alt="A map" />' in docs[-1].content


# --- blocks, inline markup and code -------------------------------------------------------


def test_block_and_inline_constructs(make_project: MakeProject) -> None:
    body = (
        "- [x] done\n- [ ] open\n\n"
        "1. one\n   - nested\n     1. deeper\n\n"
        "Term\n: Its definition.\n\n"
        "> Quoted\n>\n> > nested\n\n"
        "* * *\n\n"
        "::: lines\nFirst line\nsecond line\n:::\n\n"
        "H~2~O, x^2^, ~~gone~~ and `code`.\n"
    )
    html = _section(make_project, body).html
    root = _xml(html)  # well-formed XHTML
    boxes = [s for s in root.iter(f"{XHTML}span") if "task-box" in (s.get("class") or "")]
    assert [(b.text, b.get("aria-label")) for b in boxes] == [("☑", "Done"), ("☐", "Not done")]
    assert "<input" not in html
    assert root.find(f".//{XHTML}ol/{XHTML}li/{XHTML}ul/{XHTML}li/{XHTML}ol/{XHTML}li") is not None
    assert root.find(f"{XHTML}dl/{XHTML}dt").text == "Term"  # type: ignore[union-attr]
    assert root.find(f"{XHTML}blockquote/{XHTML}blockquote") is not None
    assert root.find(f"{XHTML}hr") is not None
    assert '<div class="line-block">\n<p>First line<br />\nsecond line</p>\n</div>' in html
    assert "H<sub>2</sub>O, x<sup>2</sup>, <s>gone</s> and <code>code</code>." in html


def test_code_is_highlighted_and_never_altered(make_project: MakeProject) -> None:
    body = (
        "```python\ndef f():\n    return \"a<b\" -- 'x'\n```\n\n"
        "```klingon\nplain <text> -- 'x'\n```\n\n"
        "    indented -- 'x'\n"
    )
    html = _section(make_project, body).html
    root = _xml(html)
    blocks = list(root.iter(f"{XHTML}pre"))
    assert [b.get("class") for b in blocks] == ["code highlight"] * 3  # indented: same shape
    assert "".join(blocks[0].itertext()) == "def f():\n    return \"a<b\" -- 'x'\n"
    assert '<span class="k">def</span>' in html and '<span class="nf">f</span>' in html
    assert "".join(blocks[1].itertext()) == "plain <text> -- 'x'\n"
    assert blocks[1].find(f"{XHTML}code").get("class") == "language-klingon"  # type: ignore[union-attr]
    assert "".join(blocks[2].itertext()) == "indented -- 'x'\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("footnote_numbering: chapter", "must be one of document, section"),
        ("print_urls: margin", "must be one of footnote, inline, none"),
        ("figure_numbers: sometimes", "must be true or false"),
    ],
)
def test_new_publication_keys_are_validated(
    make_project: MakeProject, line: str, message: str
) -> None:
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + line + "\n"})
    with pytest.raises(SourceError) as exc:
        _load(root)
    assert [d.code for d in exc.value.diagnostics] == ["SCHEMA-TYPE"]
    assert message in exc.value.diagnostics[0].message


@pytest.mark.parametrize(
    ("info", "language"),
    [("rust,ignore", "rust"), ("{r eval=FALSE}", "r"), ("{.python}", "python"), ("sh", "sh")],
)
def test_fence_flags_of_other_tools_still_name_the_language(
    make_project: MakeProject, info: str, language: str
) -> None:
    """mdBook, Pandoc and R Markdown write flags after the language; the code is still
    coloured as that language and the flags print nowhere."""
    body = f"Text.\n\n```{info}\nlet x = 1; # note\n```\n"
    root = make_project({"source/01-a.md": f"---\ntitle: A\n---\n\n{body}"})
    (section,) = load_publication(Project(root)).sections
    assert f'<code class="language-{language}">' in section.html
    assert re.search(r'<span class="(?!line")[a-z0-9]+">', section.html)  # Pygments colours
    assert "FALSE" not in section.html and "ignore" not in section.html


def test_an_empty_header_cell_is_a_data_cell() -> None:
    """The blank corner above a column of row names: on screen a ``<th>`` naming nothing
    fails Ace's empty-table-header; header cells with text stay ``<th>``."""
    from mxpublish.source.markdown import create_parser
    from mxpublish.source.rendering import PRINT, RenderState, render_section

    md = create_parser()
    tokens = md.parse("|   | first | second |\n|---|---|---|\n| `Box` | yes | no |\n")
    screen = render_section(md, tokens, "a", RenderState()).split("</thead>")[0]
    paper = render_section(md, tokens, "a", RenderState(medium=PRINT)).split("</thead>")[0]
    cells = re.compile(r"<t[hd][^>]*>[^<]*</t[hd]>")
    assert cells.findall(screen) == ["<td></td>", "<th>first</th>", "<th>second</th>"]
    # In print it stays a header: PDF/UA wants a header for each column's cells.
    assert cells.findall(paper) == ["<th></th>", "<th>first</th>", "<th>second</th>"]
