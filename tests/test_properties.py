"""Property-based tests: generated front matter and Markdown (random Unicode, control characters,
right-to-left scripts, combining marks, raw HTML) either build, keeping every word, or fail with
a clean MxError: never any other exception.

Profiles (tests/conftest.py): ``ci`` (default, a few hundred examples, derandomized) and
``thorough`` (thousands): ``HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py``.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_CONFIG
from helpers import run_epubcheck
from mxpublish.build import build
from mxpublish.errors import MxError

pytestmark = pytest.mark.slow  # a few hundred builds: `make test-fast` leaves them out

# --- strategies ---------------------------------------------------------------------------

#: Letters and digits of many scripts, right-to-left included; never Markdown punctuation.
_LETTER = st.one_of(
    st.characters(categories=("Lu", "Ll", "Lo", "Nd"), max_codepoint=0x2FFFF),
    st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA),  # Hebrew
    st.characters(min_codepoint=0x0621, max_codepoint=0x064A),  # Arabic
    st.sampled_from("AaZzÉéßŁłΩωЖж"),
)
_MARK = st.characters(categories=("Mn",), max_codepoint=0x2FFFF)  # combining marks
WORD = st.builds(
    lambda first, rest: first + "".join(rest),
    _LETTER,
    st.lists(st.one_of(_LETTER, _MARK), max_size=8),
)
WORDS = st.lists(WORD, min_size=1, max_size=8).map(" ".join)

_PRINTABLE = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12)
_TRICKY = st.sampled_from(
    [
        "\u202e", "\u200f", "\ufeff", "\u0301", "\r\n", "\t", "*", "**", "_", "`",
        "[", "](", ")", "#", "> ", "- ", "1. ", "|", "---", ":::", "{", "}", "{{ x }}",
        "{% raw %}", "[^1]", "<b>", "</b>", "<div>", "</div>", "<script>x()</script>",
        "<img src=x onerror=y>", '<a href="javascript:x">', "&nbsp;", "&#0;", "&#xD800;",
        "<!--", "-->", "<![CDATA[", "\\", "~~", "```", "    ", "\n", "\n\n",
        "> [!NOTE]\n> ", "!!! tip \"T\"\n    ", "::: {.callout-note}\n", "::: {#x .y}\n",
        "```{=latex}\n", "`x`{=html}", "+---+---+\n", "--- ---\n", "{{#include a.md}}",
        "[a][b]", "| a | b |\n|---|---|\n| 1 | 2 | 3 |\n",
    ]
)  # fmt: skip
#: Printable text of any script mixed with what breaks parsers: bidi marks, markup, HTML.
TEXT = st.lists(st.one_of(_PRINTABLE, _TRICKY), max_size=30).map("".join)
#: The same with control characters, format characters and private-use characters too.
NOISE = st.lists(
    st.one_of(_PRINTABLE, _TRICKY, st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Co"))),
    max_size=30,
).map("".join)


@st.composite
def blocks(draw: st.DrawFn) -> tuple[str, list[str]]:
    """One Markdown block made of generated words, and the words a reader must find."""
    words = draw(WORDS)
    other = draw(WORDS)
    kind = draw(
        st.sampled_from(
            [
                "paragraph",
                "heading",
                "list",
                "ordered",
                "quote",
                "code",
                "table",
                "callout",
                "emphasis",
                "link",
                "footnote",
                "inline-code",
                "definition",
            ]
        )
    )
    text = {
        "paragraph": f"{words} {other}",
        "heading": f"## {words}\n\n{other}",
        "list": f"- {words}\n- {other}",
        "ordered": f"1. {words}\n2. {other}",
        "quote": f"> {words}\n>\n> > {other}",
        "code": f"```\n{words}\n```\n\n{other}",
        "table": f"| {words} | x |\n|---|---|\n| {other} | y |",
        "callout": f"::: note\n{words}\n\n{other}\n:::",
        "emphasis": f"*{words}* and **{other}**",
        "link": f"[{words}](https://example.org/a) {other}",
        "footnote": f"{words}[^n]\n\n[^n]: {other}",
        "inline-code": f"`{words}` {other}",
        "definition": f"{words}\n: {other}",
    }[kind]
    return text, [*words.split(), *other.split()]


@st.composite
def sections(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A whole section file of generated words: front matter (dumped as YAML) and blocks."""
    title = draw(WORDS)
    front = {"title": title}
    if draw(st.booleans()):
        front["summary"] = draw(WORDS)
    if draw(st.booleans()):
        front["status"] = draw(st.sampled_from(["draft", "review", "final", "incomplete"]))
    body = draw(st.lists(blocks(), min_size=1, max_size=6))
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n\n"
    text += "\n\n".join(b.replace("[^n]", f"[^n{i}]") for i, (b, _) in enumerate(body)) + "\n"
    return text, [*title.split(), *(w for _, words in body for w in words)]


# --- running builds -----------------------------------------------------------------------


@contextmanager
def _project(files: dict[str, str | bytes]) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="mx-prop-"))
    try:
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = (
                content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
            )
            path.write_bytes(data)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _build_epub(root: Path) -> Path | None:
    """Build the EPUB (which lays out the print edition for its page list, so WeasyPrint sees
    every example too); ``None`` when the build fails cleanly."""
    try:
        result = build(root, ["epub"])
    except MxError as exc:
        event(f"refused: {exc.diagnostics[0].code}")
        return None
    return result.outputs[0].path


def _assembled_text(root: Path) -> str:
    """All text of the EPUB's XHTML documents, assembled in memory from the loaded model and
    each parsed as XML, without laying out the print edition (the batch test below and the
    any-input property lay out what is generated; this property is about the words)."""
    from mxpublish.assemble.documents import environment, epub_documents
    from mxpublish.build import load

    project, publication = load(root)
    documents = epub_documents(publication, environment(project))
    return " ".join(" ".join(ET.fromstring(d.content).itertext()) for d in documents)


def _epub_text(path: Path) -> str:
    """All text of every XHTML document, each parsed as XML (which fails on bad XHTML)."""
    parts = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                root = ET.fromstring(archive.read(name))
                parts.append(" ".join(root.itertext()))
    return " ".join(parts)


# --- properties ---------------------------------------------------------------------------


#: Sections the property above built, reused by the batch test below.
GENERATED: list[tuple[str, list[str]]] = []


@given(sections())
def test_documents_of_words_always_build_and_keep_every_word(
    section: tuple[str, list[str]],
) -> None:
    text, words = section
    with _project({"source/publication.yaml": MINIMAL_CONFIG, "source/01-a.md": text}) as root:
        found = _assembled_text(root)  # words only: nothing to refuse, so no MxError
        missing = [w for w in words if w not in found]
        assert not missing, (missing, text)
    GENERATED.append(section)


@given(
    title=st.one_of(WORDS, TEXT, NOISE),
    front=st.one_of(st.just(""), st.just(""), TEXT, NOISE),
    body=st.lists(
        st.one_of(TEXT, TEXT, NOISE, blocks().map(lambda b: b[0])), min_size=1, max_size=6
    ).map("\n\n".join),
    allow_html=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "crlf", "latin-1"]),
)
def test_any_input_builds_or_fails_with_a_clean_error(
    title: str, front: str, body: str, allow_html: bool, encoding: str
) -> None:
    config = yaml.safe_dump(
        {
            "title": title,
            "authors": ["Test Office"],
            "date": "2024-05-01",
            "language": "en-US",
            "identifier": "urn:uuid:12345678-1234-5678-1234-567812345678",
            "allow_html": allow_html,
        },
        allow_unicode=True,
    )
    text = f"---\ntitle: x\n{front}\n---\n\n{body}\n"
    data: bytes
    if encoding == "crlf":
        data = text.replace("\n", "\r\n").encode("utf-8", "surrogatepass")
    elif encoding == "latin-1":
        data = text.encode("latin-1", "replace")
    else:
        data = text.encode(encoding, "surrogatepass")
    with _project({"source/publication.yaml": config, "source/01-a.md": data}) as root:
        epub = _build_epub(root)  # anything but an MxError propagates and fails the test
        event("built" if epub is not None else "refused with a clean error")
        if epub is not None:
            _epub_text(epub)


#: Sections per batch publication: each batch is built for real and checked by one EPUBCheck run.
BATCH_SIZE = 60


def test_generated_sections_pass_epubcheck_in_batches_in_every_format() -> None:
    """The generated sections, many to a publication, built for real (fonts subset to the text,
    the PDF too) and validated by one EPUBCheck run per batch: one batch in CI, ten with the
    thorough profile (each an even sample of everything generated)."""
    if not GENERATED:  # this test was selected alone: generate the sections first
        test_documents_of_words_always_build_and_keep_every_word()
    batches = 1 if settings().max_examples < 1000 else 10
    step = max(1, len(GENERATED) // (BATCH_SIZE * batches))
    sample = GENERATED[::step][: BATCH_SIZE * batches]
    for start in range(0, len(sample), BATCH_SIZE):
        _check_batch(sample[start : start + BATCH_SIZE])


def _check_batch(batch: list[tuple[str, list[str]]]) -> None:
    files: dict[str, str | bytes] = {"source/publication.yaml": MINIMAL_CONFIG}
    for number, (text, _) in enumerate(batch, 1):
        files[f"source/{number:03d}-s{number}.md"] = text
    with _project(files) as root:
        result = build(root)
        outputs = {o.format: o.path for o in result.outputs}
        report = run_epubcheck(outputs["epub"])
        assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages
        found = _epub_text(outputs["epub"])
        missing = [w for _, words in batch for w in words if w not in found]
        assert not missing, missing
        assert outputs["pdf"].read_bytes().startswith(b"%PDF-")
        assert outputs["html"].read_text(encoding="utf-8").rstrip().endswith("</html>")
