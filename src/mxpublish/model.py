"""The publication model: frozen records every renderer shares; no I/O happens here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

STATUSES = ("draft", "review", "final", "incomplete")
PAPER_SIZES = {"letter": "Letter", "a4": "A4"}
FOOTNOTE_NUMBERINGS = ("document", "section")
PRINT_URLS = ("footnote", "inline", "none")


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
    footnote_numbering: str = "document"
    print_urls: str = "footnote"
    figure_numbers: bool = False

    @property
    def running_title(self) -> str:
        return self.short_title or self.title


@dataclass(frozen=True)
class Heading:
    """A heading inside a section; ``id`` is unique across the whole publication."""

    level: int
    text: str
    id: str


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
    print_html: str = ""
    assets: tuple[Asset, ...] = ()
    targets: tuple[str, ...] = ()  # ids of figures and tables, linkable like headings

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

    @property
    def assets(self) -> tuple[Asset, ...]:
        """Every asset the sections use, once each, in order of first use."""
        return tuple(dict.fromkeys(a for s in self.sections for a in s.assets))

    def section_of(self, anchor: str) -> Section | None:
        for section in self.sections:
            if anchor in section.anchors:
                return section
        return None
