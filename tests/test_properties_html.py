"""Property-based tests over what real books write: raw HTML blocks and inline HTML, comments
of every shape, ``<kbd>``, ``<sup>``, legacy anchors, entities, links old and stale, notes.

Whatever the mix and whatever ``allow_html`` says: loading either succeeds or fails with a clean
MxError (never another exception); every edition's fragment is well-formed XHTML; no comment
text reaches it; no element carries a second id. Most examples stop at the model and the web
edition (layout is not under test); a few are built for real in every format and validated.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from conftest import MINIMAL_CONFIG
from helpers import run_epubcheck
from mxpublish.build import build
from mxpublish.errors import MxError
from mxpublish.model import Publication
from mxpublish.project import Project
from mxpublish.source.sections import load_publication

#: Words of the text; no construct below writes "SECRET" outside a comment.
WORD = st.sampled_from(["alpha", "beta", "gamma", "delta", "Ωmega", "naïve", "x", "1990s"])
WORDS = st.lists(WORD, min_size=1, max_size=5).map(" ".join)

# fmt: off
_INLINE = [
    "<kbd>Ctrl</kbd>+<kbd>C</kbd>", "E = mc<sup>2</sup>", "H<sub>2</sub>O",
    '<span class="filename">Filename: src/main.rs</span>', "<em>em</em>", "<b>bold",
    "</i>", "<br>", "<br/>", '<a id="legacy-inline"></a>', '<a name="old"></a>',
    '<span id="ferris"></span>', '<a href="https://example.org">out</a>',
    '<a href="javascript:x()">js</a>', "<img src='x.png' alt='x'>", "&amp;", "&nbsp;",
    "&copy;", "&#x1F600;", "&#0;", "&bogus;", "&#xD800;", "a < b > c", "`<!-- code -->`",
    "<!-- SECRET-INLINE -->", "<!---->", "<!-->", "<!--->", "<!-- SECRET -- dashes -->",
    "<!--\nSECRET-SPLIT -->", "[ok](#anchor-target)", "[stale](#no-such-thing)",
    "[old](#anchor-target-old)", "[rel](../elsewhere/index.html)", "[file](02-b.md)",
    "[nofile](09-none.md#x)", "<https://example.org>", "\\<!-- escaped -->",
]
_BLOCKS = [
    "<!-- SECRET-BLOCK -->",
    "<!-- SECRET-MULTI\n# SECRET-HEADING\n\n- SECRET-ITEM\n-->",
    "<!-- SECRET-A --> <!-- SECRET-B -->",
    "<!-- SECRET-C --> visible after",
    '<a id="legacy-block"></a>\n<a id="legacy-two"></a>',
    "<div>\n*not emphasis in a block*\n</div>",
    "<div>\n\n*emphasis after a blank line*\n\n</div>",
    "<figure>\n<figcaption>Caption</figcaption>\n</figure>",
    "<details>\n<summary>More</summary>\n\nHidden text.\n\n</details>",
    "<table><tr><td>cell</td></tr></table>",
    "<pre>\n<!-- SECRET-IN-PRE -->\n</pre>",
    "<script>alert(1)</script>", "<style>p { color: red }</style>",
    "```html\n<!-- code keeps this -->\n```",
    "    <!-- indented code keeps this -->",
    "> <!-- SECRET-QUOTED -->\n> quoted",
    "- item <!-- SECRET-ITEM-INLINE -->\n- <kbd>K</kbd>",
    "Note[^n].\n\n[^n]: A <em>note</em> with <kbd>K</kbd><!-- SECRET-NOTE -->.",
    "| a | b |\n|---|---|\n| <kbd>x</kbd> | <!-- SECRET-CELL --> |",
    "## Anchor target\n\ntext",
    "## Anchor: target, old!",
    "## Heading <a id=\"in-heading\"></a> with `Arc<T>`",
    "## Title {#explicit-id .wide}",
    "## Repeat\n\n## Repeat",
]
# fmt: on


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(WORDS, st.sampled_from(_INLINE)), min_size=1, max_size=8))
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    blocks = draw(
        st.lists(st.one_of(paragraphs(), st.sampled_from(_BLOCKS)), min_size=1, max_size=10)
    )
    # each note label once per section
    body = "\n\n".join(b.replace("[^n]", f"[^n{i}]") for i, b in enumerate(blocks))
    return f"---\ntitle: {draw(WORDS)}\n---\n\n{body}\n"


def _write(root: Path, allow_html: bool, text: str) -> None:
    (root / "source").mkdir(parents=True, exist_ok=True)
    config = MINIMAL_CONFIG + ("allow_html: true\n" if allow_html else "")
    (root / "source" / "publication.yaml").write_text(config, encoding="utf-8")
    (root / "source" / "01-a.md").write_text(text, encoding="utf-8")
    (root / "source" / "02-b.md").write_text("---\ntitle: B\n---\n\n## X\n\nB.\n")


def _xhtml(fragment: str) -> ET.Element:
    """Parse a section fragment as EPUB XHTML would hold it (fails on malformed markup)."""
    return ET.fromstring(
        '<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f"{fragment}</div>"
    )


def _assert_clean(publication: Publication) -> None:
    ids: list[str] = []
    for section in publication.sections:
        for fragment in (section.html, section.print_html):
            assert "SECRET" not in fragment, fragment
            tree = _xhtml(fragment)
        ids.extend(str(e.get("id")) for e in tree.iter() if e.get("id"))
        assert "SECRET" not in section.text
    assert len(ids) == len(set(ids)), ids


@settings(max_examples=200)
@given(text=documents(), allow_html=st.booleans())
def test_real_world_constructs_load_cleanly(
    text: str, allow_html: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("prop")
    _write(root, allow_html, text)
    try:
        publication = load_publication(Project(root))
    except MxError as exc:  # e.g. an image in raw HTML: refused, with its line
        event(f"refused: {exc.diagnostics[0].code}")
        return
    event("loaded")
    _assert_clean(publication)


@pytest.mark.slow
@settings(max_examples=25)
@given(text=documents(), allow_html=st.booleans())
def test_real_world_constructs_build_the_web_edition(
    text: str, allow_html: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("prop-html")
    _write(root, allow_html, text)
    try:
        result = build(root, ["html"], use_cache=False)
    except MxError as exc:
        event(f"refused: {exc.diagnostics[0].code}")
        return
    html = result.outputs[0].path.read_text(encoding="utf-8")
    assert "SECRET" not in html


#: Every construct in one publication, as a real book would mix them.
_ALL = "\n\n".join(
    [" ".join(_INLINE[i : i + 6]) for i in range(0, len(_INLINE), 6)]
    + [b for b in _BLOCKS if "<img" not in b]
).replace("<img src='x.png' alt='x'>", "")


@pytest.mark.slow
@pytest.mark.parametrize("allow_html", [False, True])
def test_every_construct_builds_in_every_edition(allow_html: bool, tmp_path: Path) -> None:
    text = "---\ntitle: All\n---\n\n" + _ALL.replace("<img src='x.png' alt='x'>", "") + "\n"
    _write(tmp_path, allow_html, text)
    result = build(tmp_path, use_cache=False)
    codes = {d.code for d in result.diagnostics}
    assert codes == {"LINK-BROKEN"}, [d.format() for d in result.diagnostics]
    paths = {o.format: o.path for o in result.outputs}
    pdf = "\n".join(page.extract_text() for page in PdfReader(paths["pdf"]).pages)
    assert "Ctrl" in pdf and "SECRET" not in pdf
    assert "SECRET" not in paths["html"].read_text(encoding="utf-8")
    with zipfile.ZipFile(paths["epub"]) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                assert "SECRET" not in archive.read(name).decode("utf-8")
    report = run_epubcheck(paths["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages
    assert not re.search(r"href=\"(?!#|https?:|mailto:)", paths["html"].read_text("utf-8"))
