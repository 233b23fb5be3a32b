"""A section between parsing and rendering: the ``Draft`` that ids.py gives ids and links.py
resolves links in (a heading's final id must be known before any section's HTML is written,
since one HTML document holds them all for print)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from mxpublish.errors import Diagnostic
from mxpublish.model import Asset, Heading
from mxpublish.source.sanitize import RawImage

SECTION_FILE_RE = re.compile(r"^(\d+)-([A-Za-z0-9][A-Za-z0-9_-]*)\.md$")


@dataclass
class Draft:
    """A section between parsing and rendering, while ids are made unique publication-wide."""

    file: str
    name: str
    number: int
    front: dict[str, Any]
    tokens: list[Token]
    id: str = ""
    headings: list[Heading] = field(default_factory=list)
    anchors: dict[str, str] = field(default_factory=dict)  # as written → final id
    lines: tuple[str, ...] = ()
    targets: list[str] = field(default_factory=list)  # ids of figures and tables
    assets: tuple[Asset, ...] = ()
    raw_images: list[RawImage] = field(default_factory=list)  # <img> in allowed raw HTML
    notes: list[Diagnostic] = field(default_factory=list)  # not errors: comments held back
