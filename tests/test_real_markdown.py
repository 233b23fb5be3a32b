"""Markdown as real books write it (GitHub, mdBook): comments are never published, heading ids
match GitHub's, old ids and legacy anchors still resolve, a stale link warns instead of failing,
and raw HTML never causes an internal error. Each fixture is a hazard met in a real book."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import MINIMAL_CONFIG, MakeProject
from helpers import run_epubcheck
from mxpublish.build import build
from mxpublish.check import check_project
from mxpublish.cli import main
from mxpublish.errors import Severity
from mxpublish.model import Publication
from mxpublish.project import Project
from mxpublish.source.ids import github_slug
from mxpublish.source.markdown import create_parser
from mxpublish.source.sections import load_publication

#: A one-line, an inline, a multi-line (holding a heading and a list) and a `--` comment.
COMMENTED = """\
---
title: Commented
---

Intro text.<!-- SECRET-INLINE confirm with legal --> Still intro.
See [the note](#kept-heading)<!--
SECRET-SPLIT ignore --> here.

<!-- SECRET-ONE-LINE before release -->

<!-- SECRET-MULTI
# SECRET-HEADING inside a comment

- SECRET-ITEM
-->

## Kept heading

<!-- SECRET-DASHES -- figures -- to check --> After the dashes.

Code keeps its own: `<!-- shown in code -->`.

Last words.
"""


def _load(root: Path) -> Publication:
    return load_publication(Project(root))


def _config(allow_html: bool) -> str:
    return MINIMAL_CONFIG + ("allow_html: true\n" if allow_html else "")


def _epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith((".xhtml", ".opf", ".ncx"))
        )


# --- 1. comments ---------------------------------------------------------------------------


@pytest.mark.parametrize("allow_html", [False, True])
def test_comments_are_dropped_and_not_parsed(allow_html: bool, make_project: MakeProject) -> None:
    root = make_project(
        {"source/publication.yaml": _config(allow_html), "source/01-a.md": COMMENTED}
    )
    section = _load(root).sections[0]
    for html in (section.html, section.print_html):
        assert "SECRET" not in html and "&lt;!--" not in html.replace("&lt;!-- shown", "")
        assert "<h1" not in html and "<li" not in html
        assert "Intro text. Still intro." in html
        assert "<p>After the dashes.</p>" in html
        assert "<code>&lt;!-- shown in code --&gt;</code>" in html
    assert [h.text for h in section.headings] == ["Kept heading"]
    assert "SECRET" not in section.text


@pytest.mark.parametrize("allow_html", [False, True])
def test_no_comment_text_in_any_edition(allow_html: bool, make_project: MakeProject) -> None:
    root = make_project(
        {"source/publication.yaml": _config(allow_html), "source/01-a.md": COMMENTED}
    )
    result = build(root, use_cache=False)
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    paths = {o.format: o.path for o in result.outputs}
    pdf = "\n".join(page.extract_text() for page in PdfReader(paths["pdf"]).pages)
    assert "Intro text." in pdf and "Last words." in pdf
    for text in (pdf, paths["html"].read_text(encoding="utf-8"), _epub_text(paths["epub"])):
        assert "SECRET" not in text
    report = run_epubcheck(paths["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


def test_check_lists_comments_as_info(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": COMMENTED})
    found = [(d.code, d.severity, d.line) for d in check_project(root)]
    assert ("HTML-COMMENT", Severity.INFO, 9) in found
    assert ("HTML-COMMENT", Severity.INFO, 11) in found
    assert ("HTML-COMMENT", Severity.INFO, 19) in found
    assert all(severity is Severity.INFO for _, severity, _ in found)
    result = CliRunner().invoke(main, ["check", str(root), "--strict"])
    assert result.exit_code == 0  # held-back comments are no reason to fail
    assert "info: HTML-COMMENT comment not published: 'SECRET-ONE-LINE before release'" in (
        result.stderr
    )


def test_a_comment_a_paragraph_does_not_close_is_an_error(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\n---\n\nText <!-- a\n\nnote -->\n"})
    found = check_project(root)
    assert [(d.code, d.line) for d in found] == [("COMMENT-UNCLOSED", 5)]


# --- 2. heading ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Atomic Reference Counting with Arc<T>", "atomic-reference-counting-with-arct"),
        ("Concatenating with + or format!", "concatenating-with--or-format"),
        ("What's New in 2024?", "whats-new-in-2024"),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("Éclairs à la crème", "éclairs-à-la-crème"),
    ],
)
def test_github_slug(text: str, slug: str) -> None:
    assert github_slug(text) == slug


IDS = """\
---
title: Ids
---

<!-- Old headings. Do not remove or links may break. -->

<a id="legacy-name"></a>
<a id="other-legacy"></a>

## Atomic Reference Counting with `Arc<T>`

Text.

## Concatenating with + or format!

Text.

## Repeat

## Repeat

## Chosen {#chosen-id}

## Don't -- panic

## References {-}

See [a](#atomic-reference-counting-with-arct), [b](#concatenating-with--or-format),
[c](#repeat-1), [d](#chosen-id), [e](#legacy-name), [f](#other-legacy),
[g](#atomic-reference-counting-with-arc-t), [h](#dont-panic), [i](#dont----panic).
"""


def test_heading_ids_follow_github_and_old_names_still_resolve(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/01-a.md": IDS})
    publication = _load(root)
    section = publication.sections[0]
    assert [h.id for h in section.headings] == [
        "atomic-reference-counting-with-arct",
        "concatenating-with--or-format",
        "repeat",
        "repeat-1",
        "chosen-id",
        "dont----panic",
        "references",
    ]
    assert [d.code for d in publication.diagnostics] == ["HTML-COMMENT"]
    hrefs = [part.split('"', 1)[0] for part in section.html.split('class="xref" href="#')[1:]] or [
        part.split('"', 1)[0] for part in section.html.split('href="#')[1:]
    ]
    assert hrefs == [
        "atomic-reference-counting-with-arct",
        "concatenating-with--or-format",
        "repeat-1",
        "chosen-id",
        "atomic-reference-counting-with-arct",  # the legacy anchors name the next heading
        "atomic-reference-counting-with-arct",
        "atomic-reference-counting-with-arct",  # the earlier rule's id
        "dont----panic",
        "dont----panic",
    ]
    assert "legacy-name" not in section.html  # aliases add no second id to any element
    assert "<p></p>" not in section.html


def test_aliases_keep_the_epub_valid(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/publication.yaml": _config(True),
            "source/01-a.md": IDS,
            "source/02-b.md": IDS.replace("title: Ids", "title: Again"),
        }
    )
    result = build(root, formats=["epub"], use_cache=False)
    assert not result.diagnostics
    report = run_epubcheck(result.outputs[0].path)
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


# --- 3. stale links ------------------------------------------------------------------------

STALE = (
    "---\ntitle: A\n---\n\n## Shared State\n\nSee [the state](#shared-sate) and\n"
    "[history](02-histroy.md), [the std](../std/index.html) and [ok](#shared-state).\n"
)


def test_a_stale_link_warns_with_its_place_and_the_closest_anchor(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {"source/01-a.md": STALE, "source/02-history.md": "---\ntitle: H\n---\n\nHi.\n"}
    )
    publication = _load(root)
    assert [d.format() for d in publication.diagnostics] == [
        "source/01-a.md:7:17: warning: LINK-BROKEN link to '#shared-sate': no heading with "
        "that anchor in source/01-a.md; printed as plain text\n  hint: did you mean #shared-state?",
        "source/01-a.md:8:11: warning: LINK-BROKEN link to '02-histroy.md': no such section; "
        "printed as plain text\n  hint: did you mean 02-history.md?",
        "source/01-a.md:8:37: warning: LINK-BROKEN link to '../std/index.html': not a section "
        "of this publication; printed as plain text\n  hint: link to a section file (NN-name.md)",
    ]
    html = publication.sections[0].html
    assert "See the state and\nhistory, the std and " in html
    assert '<a href="#shared-state" class="xref">ok</a>' in html


def test_link_hints_name_the_section_meant_and_each_link_its_own_place(
    make_project: MakeProject,
) -> None:
    """mdBook names files without order numbers; an anchor of another section written as a
    local one; the same broken link twice in a paragraph is two places."""
    root = make_project(
        {
            "source/01-intro.md": "---\ntitle: Intro\n---\n\n## Basics\n\nHi.\n",
            "source/02-format-general.md": "---\ntitle: G\n---\n\nSee [a](#basics) and\n"
            "[b](general.md), [c](reading.html#x) and [d](#basics).\n",
            "source/03-guide-reading.md": "---\ntitle: R\n---\n\nRead.\n",
        }
    )
    found = [(d.line, d.col, d.hint) for d in _load(root).diagnostics]
    assert found == [
        (5, 9, "#basics is in 01-intro.md: write 01-intro.md#basics"),
        (6, 5, "did you mean 02-format-general.md?"),
        (6, 22, "did you mean 03-guide-reading.md?"),
        (6, 46, "#basics is in 01-intro.md: write 01-intro.md#basics"),
    ]


def test_a_stale_link_never_blocks_a_draft_but_blocks_a_release(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/01-a.md": STALE})
    result = CliRunner().invoke(main, ["build", str(root), "-q", "-f", "epub", "-f", "html"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning: LINK-BROKEN") == 3
    epub = root / "build" / "a-test-publication.epub"
    report = run_epubcheck(epub)
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages
    assert "index.html" not in _epub_text(epub)
    for command in (["check", "--strict"], ["check", "--release"], ["build", "--release"]):
        result = CliRunner().invoke(main, [command[0], str(root), *command[1:]])
        assert result.exit_code == 1, command
        assert "LINK-BROKEN" in result.stderr
    released = [d for d in check_project(root, release=True) if d.code == "LINK-BROKEN"]
    assert {d.severity for d in released} == {Severity.ERROR}


# --- 4. raw HTML never crashes -------------------------------------------------------------


def test_allowed_html_in_a_note_set_at_its_call_renders(make_project: MakeProject) -> None:
    """Print renders a note's body inside the call's paragraph: the sanitizer's renderer is
    re-entered (it once lost its line table there: KeyError '_lines')."""
    body = "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>.[^1] E = mc<sup>2</sup>.\n\n[^1]: A <em>note</em>.\n"
    root = make_project(
        {
            "source/publication.yaml": _config(True),
            "source/01-a.md": f"---\ntitle: A\n---\n\n{body}",
        }
    )
    section = _load(root).sections[0]
    assert "<kbd>Ctrl</kbd>" in section.print_html and "<em>note</em>" in section.print_html
    assert "mc<sup>2</sup>" in section.html


def test_parser_renders_comment_only_documents() -> None:
    md = create_parser(allow_html=True)
    for text in ("<!---->", "<!-->", "<!--->", "<!-- a -->\n<!-- b -->", "x <!-- -- --> y"):
        env: dict[str, object] = {}
        html = md.renderer.render(md.parse(text, env), md.options, env)
        assert "--" not in html.replace("x  y", ""), text


def test_links_to_the_title_heading_lead_to_the_section(make_project: MakeProject) -> None:
    """An mdBook chapter's `# Title` line becomes front matter: links to its anchor still work."""
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: The `match` Construct\n---\n\nText.\n",
            "source/02-b.md": "---\ntitle: B\n---\n\nSee [m](01-a.md#the-match-construct).\n",
        }
    )
    publication = _load(root)
    assert not publication.diagnostics
    assert 'href="#a"' in publication.sections[1].html


def test_text_after_a_block_comment_is_a_paragraph_that_may_close_a_comment() -> None:
    md = create_parser()
    env: dict[str, object] = {}
    text = (
        "<!-- SECRET-A --> Seen, <!-- SECRET-B\nstill hidden --> seen too.\nAnd this.\n\n## Next\n"
    )
    html = md.renderer.render(md.parse(text, env), md.options, env)
    assert html == "<p>Seen,  seen too.\nAnd this.</p>\n<h2>Next</h2>\n"
    assert not env["comment_problems"]
