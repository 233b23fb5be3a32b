"""Limits: huge sections, deep nesting, over-long words and thousands of footnotes either work
(in bounded memory) or fail with a clear message; no text is ever silently dropped."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import MakeProject
from helpers import XHTML, element_text, epub_xml, letters, pdf_text_extents, run_epubcheck
from mxpublish.errors import SourceError
from mxpublish.project import Project
from mxpublish.source.markdown import MAX_NESTING
from mxpublish.source.sections import MAX_SECTION_BYTES, load_publication

SLUG = "a-test-publication"
WORDS = ["troops", "border", "mission", "training", "cartel", "policy", "congress", "aid"]


LAST_STDERR: list[str] = [""]


def _build_in_subprocess(root: Path, *formats: str) -> int:
    """Build in a child process and return its peak resident memory in MB (its stderr is
    kept in ``LAST_STDERR``)."""
    args = [sys.executable, "-m", "mxpublish", "build", str(root)]
    for fmt in formats:
        args += ["-f", fmt]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    LAST_STDERR[0] = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 0, LAST_STDERR[0]
    return usage.ru_maxrss // 1024


@pytest.mark.slow
def test_a_ten_megabyte_section_builds_in_bounded_memory(make_project: MakeProject) -> None:
    rng = random.Random(5)
    blocks, size, count = [], 0, 0
    while size < 10_000_000:
        if count % 60 == 0:
            block = f"## Part {count // 60}"
        elif count % 7 == 0:
            block = "\n".join(f"- item {count} {rng.choice(WORDS)}" for _ in range(4))
        else:
            block = " ".join(rng.choice(WORDS) for _ in range(90)) + "."
        blocks.append(block)
        size += len(block) + 2
        count += 1
    source = "\n\n".join(blocks)
    root = make_project({"source/01-big.md": f"---\ntitle: Big\n---\n\n{source}\n"})
    peak_mb = _build_in_subprocess(root, "epub", "html")
    assert peak_mb < 1000, f"peak memory {peak_mb} MB"
    expected = len(re.findall(r"[a-z]+|[0-9]+", source.replace("## Part", "Part")))
    section = epub_xml(root / "build" / f"{SLUG}.epub", "EPUB/text/01-big.xhtml")
    body = section.find(f".//{XHTML}section")
    assert body is not None
    words = re.findall(r"[a-z]+|[0-9]+", element_text(body).replace("Part", "part").lower())
    assert len(words) == expected + 1  # + the title "big"
    html = (root / "build" / f"{SLUG}.html").read_text(encoding="utf-8")
    assert blocks[-1].split("\n")[0].lstrip("- #") in html
    # Too large to lay out for print just to number the EPUB's pages: said, not silent.
    assert "EPUB-NO-PAGE-LIST" in LAST_STDERR[0]


def test_a_section_over_the_limit_is_refused_before_reading(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": ""})
    with (root / "source" / "01-a.md").open("wb") as handle:
        handle.truncate(MAX_SECTION_BYTES + 1_000_000)  # sparse: no disk, no time
    with pytest.raises(SourceError) as exc:
        load_publication(Project(root))
    [diagnostic] = exc.value.diagnostics
    assert diagnostic.format() == (
        "source/01-a.md: error: SECTION-TOO-LARGE section is 17.0 MB; the limit is 16 MB\n"
        "  hint: split it into several section files"
    )


def _nested(kind: str, depth: int) -> str:
    """``depth`` levels of ``kind`` with the word ``wN`` at level N."""
    if kind == "quote":
        return "\n".join(">" * n + f" w{n}" for n in range(1, depth + 1))
    if kind == "list":
        return "\n".join("  " * (n - 1) + f"- w{n}" for n in range(1, depth + 1))
    if kind == "ordered":
        return "\n".join("   " * (n - 1) + f"1. w{n}" for n in range(1, depth + 1))
    return "".join("::: note\n" for _ in range(depth)) + "w1\n" + ":::\n" * depth


@pytest.mark.parametrize("kind", ["quote", "list", "ordered", "callout"])
def test_nesting_is_kept_whole_or_refused_never_cut(kind: str, make_project: MakeProject) -> None:
    refused_at = None
    for depth in range(1, MAX_NESTING + 4):
        root = make_project({"source/01-a.md": f"---\ntitle: A\n---\n\n{_nested(kind, depth)}\n"})
        try:
            section = load_publication(Project(root)).sections[0]
        except SourceError as exc:
            assert [d.code for d in exc.diagnostics] == ["SECTION-NESTING"]
            refused_at = refused_at or depth
            continue
        assert refused_at is None, f"depth {depth} built after {refused_at} was refused"
        expected = ["w1"] if kind == "callout" else [f"w{n}" for n in range(1, depth + 1)]
        assert re.findall(r"w[0-9]+", section.text) == expected, depth
    assert refused_at is not None and refused_at > 8


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (">" * 3000 + " deep", 5),
        ("- " * 3000 + "deep", 5),
        ("1. " * 3000 + "deep", 5),
        ("::: note\n" * 3000 + "deep\n" + ":::\n" * 3000, 5 + MAX_NESTING - 1),
        ("".join("  " * n + "- deep\n" for n in range(1500)), 5 + MAX_NESTING // 2 - 1),
        ("*" * 3000 + "deep" + "*" * 3000, 5),
        ("_" * 3000 + "deep" + "_" * 3000, 5),
        ("[" * 3000 + "deep" + "]" * 3000, None),
    ],
    ids=[
        "quotes",
        "lists",
        "ordered",
        "callouts",
        "indented-lists",
        "emphasis",
        "underscores",
        "brackets",
    ],
)
def test_thousands_deep_nesting_fails_clearly_or_keeps_the_text(
    text: str, line: int | None, make_project: MakeProject
) -> None:
    """The error names the line where the limit is crossed."""
    root = make_project({"source/01-a.md": f"---\ntitle: A\n---\n\n{text}\n"})
    try:
        section = load_publication(Project(root)).sections[0]
    except SourceError as exc:
        assert [(d.code, d.line) for d in exc.diagnostics] == [("SECTION-NESTING", line)]
    else:  # brackets are not markup: markdown-it keeps them as text
        assert line is None and section.text == text


LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 10
LONG_URL = "https://example.org/" + "/".join(f"part{n}" for n in range(50)) + "?q=" + "x" * 300


@pytest.mark.slow
def test_long_words_and_deep_nesting_stay_inside_the_text_block_in_the_pdf(
    make_project: MakeProject,
) -> None:
    quotes = "\n".join(">" * n + f" quote{n}" for n in range(1, MAX_NESTING - 1))
    lists = "\n".join("  " * n + f"- item{n}" for n in range(MAX_NESTING // 2 - 1))
    text = (
        f"A very long word {LONG_WORD} then more text.\n\n"
        f"A bare URL {LONG_URL} in running text.\n\n"
        f"[A link whose text is a URL: {LONG_URL}]({LONG_URL})\n\n"
        f"- an item with `{LONG_WORD}`\n\n"
        f"| head | other |\n|---|---|\n| {LONG_URL} | short |\n\n"
        f"{quotes}\n\nbreak\n\n{lists}\n\nThe end.\n"
    )
    root = make_project({"source/01-a.md": f"---\ntitle: Long\n---\n\n{text}"})
    _build_in_subprocess(root, "pdf")
    pdf = root / "build" / f"{SLUG}.pdf"
    # Each page's width minus print.css's left and right margins (a table too wide for a
    # Letter page is set on a landscape one).
    text_widths = [float(p.mediabox.width) - 2 * 1.45 * 72 for p in PdfReader(pdf).pages]
    extents = pdf_text_extents(pdf)
    assert extents and len(extents) == len(text_widths)
    assert all(w <= width + 0.5 for w, width in zip(extents, text_widths, strict=True)), extents
    everything = letters("".join(page.extract_text() for page in PdfReader(pdf).pages))
    for needed in [LONG_WORD, LONG_URL, "short", "The end"]:
        assert letters(needed) in everything, needed
    for n in range(1, MAX_NESTING - 1):
        assert f"quote{n}" in everything
    for n in range(MAX_NESTING // 2 - 1):
        assert f"item{n}" in everything


@pytest.mark.slow
def test_two_thousand_footnotes(make_project: MakeProject) -> None:
    count = 2000
    body = "\n\n".join(f"Claim {n} needs a source[^n{n}]." for n in range(count))
    notes = "\n".join(f"[^n{n}]: Source note {n}." for n in range(count))
    root = make_project({"source/01-a.md": f"---\ntitle: Notes\n---\n\n{body}\n\n{notes}\n"})
    peak_mb = _build_in_subprocess(root, "epub", "html")
    assert peak_mb < 1000
    epub = root / "build" / f"{SLUG}.epub"
    with zipfile.ZipFile(epub) as archive:
        xhtml = archive.read("EPUB/text/01-a.xhtml").decode("utf-8")
    assert all(f"Source note {n}." in xhtml for n in range(count))
    assert len(re.findall(r'href="#fn-a-\d+"', xhtml)) >= count
    report = run_epubcheck(epub)
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages[:5]
