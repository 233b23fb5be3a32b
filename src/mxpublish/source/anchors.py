"""Ids made unique across the publication, and links to sections and anchors resolved to them.

Works on ``Draft`` sections (parsed, not yet rendered): a heading's final id must be known
before any section's HTML is written, since one HTML document holds them all for print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from mxpublish.errors import Diagnostic, error
from mxpublish.model import Asset, Heading
from mxpublish.source.markdown import inline_text
from mxpublish.source.metadata import slugify
from mxpublish.source.sanitize import RawImage

SECTION_FILE_RE = re.compile(r"^(\d+)-([A-Za-z0-9][A-Za-z0-9_-]*)\.md$")


_MD_LINK_RE = re.compile(r"^(?P<file>[^/:#?]+\.md)?(?:#(?P<anchor>.*))?$")


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


def assign_ids(drafts: list[Draft]) -> list[Diagnostic]:
    """Give sections and headings ids unique across the publication (one HTML for print)."""
    problems: list[Diagnostic] = []
    used: dict[str, str] = {}
    for draft in drafts:
        name = SECTION_FILE_RE.match(draft.name)
        assert name is not None
        explicit = draft.front.get("id")
        section_id = str(explicit) if explicit else _xml_id(slugify(name.group(2)))
        if section_id in used:
            problems.append(
                error(
                    "SECTION-ID-DUPLICATE",
                    f"section id {section_id!r} is also used by {used[section_id]}",
                    draft.file,
                    hint="set a different `id` in the front matter",
                )
            )
        used[section_id] = draft.file
        draft.id = section_id
    for draft in drafts:
        tokens = draft.tokens
        for index, token in enumerate(tokens):
            if token.type in ("figure_open", "table_open") and token.attrGet("id"):
                written = str(token.attrGet("id"))
                final = _unique(_xml_id(written), used, draft.file)
                token.attrSet("id", final)
                draft.anchors.setdefault(written, final)
                draft.targets.append(final)
            if token.type != "heading_open":
                continue
            text = inline_text(tokens[index + 1])
            requested = str(token.attrs["id"]) if token.attrs.get("id") else None
            written = requested or slugify(text)
            final = _unique(_xml_id(written), used, draft.file)
            token.attrSet("id", final)
            draft.anchors.setdefault(written, final)
            line = token.map[0] + 1 if token.map else None
            draft.headings.append(Heading(int(token.tag[1]), text, final, line, requested))
    return problems


def _unique(candidate: str, used: dict[str, str], file: str) -> str:
    final, n = candidate, 1
    while final in used:
        n += 1
        final = f"{candidate}-{n}"
    used[final] = file
    return final


def _xml_id(slug: str) -> str:
    return slug if slug[:1].isalpha() else f"s-{slug}"


def resolve_links(drafts: list[Draft], unchecked: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """Turn links to sections (``02-history.md``) and anchors (``#x``) into ``#final-id``."""
    problems: list[Diagnostic] = []
    by_name = {d.name: d for d in drafts}
    for draft in drafts:
        line, col = 1, None
        for token in draft.tokens:
            if token.map:
                line = token.map[0] + 1
            for child in token.children or []:
                if child.type != "link_open":
                    continue
                href = str(child.attrs.get("href", ""))
                match = _MD_LINK_RE.match(href)
                if not match or href == "":
                    continue
                target = by_name.get(match.group("file") or draft.name)
                anchor = match.group("anchor")
                if token.map:  # where the target is written, when it is on one line
                    line, col = locate(draft.lines, token.map, f"]({href}")
                    col = col + 2 if col else None
                if target is None and match.group("file") in unchecked:
                    continue
                if target is None:
                    problems.append(
                        error(
                            "LINK-BROKEN",
                            f"link to {href!r}: no such section",
                            draft.file,
                            line,
                            col,
                        )
                    )
                    continue
                if not anchor:
                    child.attrSet("href", f"#{target.id}")
                    child.attrJoin("class", "xref")
                elif anchor in target.anchors or anchor == target.id:
                    child.attrSet("href", f"#{target.anchors.get(anchor, target.id)}")
                    child.attrJoin("class", "xref")
                else:
                    known = ", ".join(sorted(target.anchors)[:8])
                    problems.append(
                        error(
                            "LINK-BROKEN",
                            f"link to {href!r}: no heading with that anchor in {target.file}",
                            draft.file,
                            line,
                            col,
                            hint=f"anchors there: {known}" if known else None,
                        )
                    )
    return problems


def locate(lines: tuple[str, ...], span: list[int], needle: str) -> tuple[int, int | None]:
    """1-based line and column of ``needle`` within the lines ``span`` covers (its first
    line and no column when the needle is not written as is, e.g. across a line break)."""
    for number in range(span[0], min(span[1], len(lines))):
        col = lines[number].find(needle)
        if col >= 0:
            return number + 1, col + 1
    return span[0] + 1, None
