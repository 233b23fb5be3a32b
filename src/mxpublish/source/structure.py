"""Limits on a section's structure that the parser or the layout would not survive, and
the shapes notes may take: each found problem comes back as a diagnostic with its line."""

from __future__ import annotations

import re

from markdown_it.token import Token

from mxpublish.errors import Diagnostic, error
from mxpublish.source.markdown import MAX_NESTING
from mxpublish.source.rendering import note_bodies

#: Inline markup nested deeper than this (``***...***``) is refused; see nesting_problems.
MAX_INLINE_NESTING = 20


#: Elements nested deeper than this (raw HTML can nest without markdown's limits) are refused.
MAX_HTML_DEPTH = 100


_ELEMENT_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>")


_VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "col", "input", "meta", "link", "source"})


def html_depth(html: str) -> int:
    """Deepest element nesting of a rendered (well-formed) fragment."""
    depth = deepest = 0
    for closing, name, self_closing in _ELEMENT_RE.findall(html):
        if closing:
            depth -= 1
        elif not self_closing and name.lower() not in _VOID_TAGS:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


_NOTE_PARTS = ("paragraph_open", "inline", "paragraph_close")


_BLOCK_NAMES = {
    "bullet_list": "list",
    "ordered_list": "list",
    "fence": "code block",
    "code_block": "code block",
    "blockquote": "quotation",
    "hr": "rule",
    "dl": "definition list",
}


def note_problems(tokens: list[Token], file: str) -> list[Diagnostic]:
    """Notes hold paragraphs only: print sets a note inside the line that calls it."""
    problems = []
    for body in note_bodies(tokens).values():
        for token in body:
            if token.type not in _NOTE_PARTS:
                kind = token.type.removesuffix("_open")
                name = _BLOCK_NAMES.get(kind, kind.replace("_", " "))
                line = token.map[0] + 1 if token.map else None
                problems.append(
                    error(
                        "FOOTNOTE-BLOCK",
                        f"a footnote holds a {name}; notes may hold paragraphs only",
                        file,
                        line,
                        hint="move the list, table, code or quotation into the text",
                    )
                )
                break
    return problems


def nesting_problems(tokens: list[Token], file: str) -> list[Diagnostic]:
    """markdown-it silently drops blocks nested deeper than its limit, and nests emphasis
    without one (WeasyPrint's layout recursion fails past ~150 levels): report both."""
    for token in tokens:
        depth = deepest = 0
        for child in token.children or []:
            depth += child.nesting
            deepest = max(deepest, depth)
        container = token.type in ("blockquote_open", "list_item_open", "dd_open")
        container = container or token.type.startswith(("container_", "footnote_reference"))
        if deepest > MAX_INLINE_NESTING:
            message = "emphasis, links or other inline markup nested more than "
            message += f"{MAX_INLINE_NESTING} deep"
            hint = "unbalanced `*` or `_`? Escape literal ones as `\\*`"
        elif container and token.nesting == 1 and token.level >= MAX_NESTING - 1:
            message = "lists, quotes or callouts are nested too deeply here "
            message += f"(more than {MAX_NESTING} levels of markup)"
            hint = "flatten the structure: readers cannot follow such nesting either"
        else:
            continue
        line = token.map[0] + 1 if token.map else None
        return [error("SECTION-NESTING", message, file, line, hint=hint)]
    return []
