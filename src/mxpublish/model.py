"""The publication model: frozen records every renderer shares; no I/O happens here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

STATUSES = ("draft", "review", "final", "incomplete")
PAPER_SIZES = {"letter": "Letter", "a4": "A4"}


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
    allow_html: bool = False

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
class Section:
    """One source file: its front matter, its body rendered to an HTML fragment, its headings.

    ``html`` links to other sections' anchors as ``#id``; the EPUB assembly maps those to files.
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

    @property
    def incomplete(self) -> bool:
        return self.status == "incomplete"

    @property
    def anchors(self) -> frozenset[str]:
        return frozenset([self.id, *(h.id for h in self.headings)])


@dataclass(frozen=True)
class Publication:
    """Metadata plus ordered sections, rooted at the project directory they came from."""

    root: Path
    metadata: Metadata
    sections: tuple[Section, ...]

    def section_of(self, anchor: str) -> Section | None:
        for section in self.sections:
            if anchor in section.anchors:
                return section
        return None
