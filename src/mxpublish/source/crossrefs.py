"""Numbered cross-references (Quarto's ``@fig-x``, ``@tbl-x``, ``@sec-x``, ``@eq-x``).

Numbers follow the order of the publication: figures and captioned tables as the caption
renderer counts them (constructs.py), equations as they are labelled, sections by their order
and headings within them (3, 3.1, 3.1.2). A reference prints "Figure 2" as a live link; print
adds "on page N" from the layout (CSS ``target-counter``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from mxpublish.errors import Diagnostic, error
from mxpublish.source.citations import CROSSREF_KINDS


@dataclass(frozen=True)
class Target:
    """Something a reference can point at: its final id, kind label and number."""

    id: str
    label: str  # "Figure", "Table", "Section", "Equation"
    number: str
    caption: str = ""


@dataclass
class Numbering:
    """Every numbered target of the publication, by the id written in the source."""

    targets: dict[str, Target] = field(default_factory=dict)
    figures: list[Target] = field(default_factory=list)
    tables: list[Target] = field(default_factory=list)
    captions_referenced: bool = False  # a reference to a figure or table was resolved


@dataclass(frozen=True)
class Document:
    """What this module reads of one section: its file, id, tokens and ids as written →
    final ids (sections.py makes ids unique across the publication)."""

    file: str
    id: str
    tokens: list[Token]
    anchors: dict[str, str]


def number_targets(documents: Sequence[Document]) -> Numbering:
    """Walk the sections in order and number figures, tables, sections and equations."""
    numbering = Numbering()
    figures = tables = equations = 0
    for position, document in enumerate(documents, 1):
        written: dict[str, str] = {}  # final id → the name as written (aliases come later)
        for mine, final in document.anchors.items():
            written.setdefault(final, mine)
        _add(numbering, document.id, Target(document.id, "Section", str(position)))
        levels = [position]
        for index, token in enumerate(document.tokens):
            if token.type == "heading_open":
                depth = int(token.tag[1]) - 1  # ## is depth 1: "3.1"
                levels = levels[: depth + 1] + [0] * max(0, depth + 1 - len(levels))
                levels[depth] += 1
                number = ".".join(str(n) for n in levels)
                final = str(token.attrGet("id") or "")
                _add(numbering, written.get(final, final), Target(final, "Section", number))
            elif token.type == "figcaption_open":
                figures += 1
                target = _captioned(document, index, "figure_open", "Figure", figures)
                numbering.figures.append(target)
                _add(numbering, written.get(target.id, target.id), target)
            elif token.type == "table_caption_open":
                tables += 1
                target = _captioned(document, index, "table_open", "Table", tables)
                numbering.tables.append(target)
                _add(numbering, written.get(target.id, target.id), target)
            elif token.type == "math_block_eq" and token.info:
                equations += 1
                final = document.anchors.get(token.info, token.info)
                _add(numbering, token.info, Target(final, "Equation", str(equations)))
    return numbering


def _add(numbering: Numbering, written: str, target: Target) -> None:
    if written:
        numbering.targets.setdefault(written, target)


def _captioned(document: Document, caption: int, opening: str, label: str, n: int) -> Target:
    """The figure or table a caption belongs to (its id may be empty)."""
    tokens = document.tokens
    start = next(i for i in range(caption, -1, -1) if tokens[i].type == opening)
    text = tokens[caption + 1].content if caption + 1 < len(tokens) else ""
    return Target(str(tokens[start].attrGet("id") or ""), label, str(n), text)


def resolve(documents: Sequence[Document], numbering: Numbering) -> list[Diagnostic]:
    """Fill every ``crossref`` token with its link text, or report it with a hint."""
    problems: list[Diagnostic] = []
    for document in documents:
        for token in document.tokens:
            for child in token.children or []:
                if child.type != "crossref":
                    continue
                key = str(child.meta["key"])
                target = numbering.targets.get(key)
                if target is None or not target.id:
                    problems.append(_unknown(key, numbering, document.file, token))
                    continue
                numbering.captions_referenced |= target.label in ("Figure", "Table")
                child.meta["html"] = (
                    f'<a class="crossref" href="#{target.id}">{target.label}&#160;'
                    f"{target.number}</a>"
                )
    return problems


def _unknown(key: str, numbering: Numbering, file: str, token: Token) -> Diagnostic:
    kind = key.partition("-")[0]
    same_kind = [k for k in numbering.targets if k.startswith(kind + "-")]
    close = difflib.get_close_matches(key, same_kind, n=1)
    label = CROSSREF_KINDS[kind].lower()
    line = None
    if token.map:
        line = token.map[0] + 1 + token.content[: token.content.find("@" + key)].count("\n")
    hint = f"did you mean @{close[0]}?" if close else f"give a {label} the id {{#{key}}}"
    return error("CROSSREF-UNKNOWN", f"@{key}: no {label} with that id", file, line, hint=hint)
