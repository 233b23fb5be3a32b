"""Markdown constructs beyond CommonMark, made at parse time for every edition.

One parser, one token stream, two renderings (rendering.py). Core rules here turn a paragraph
that is only a titled image into a figure, ``Table: …`` paragraphs into table captions,
task-list markers into check boxes and the paragraphs of a ``::: lines`` block into
line-broken verse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from mxpublish.source.rendering import RENDERERS

_TABLE_CAPTION_RE = re.compile(r"^Table:\s+")
_TASK_RE = re.compile(r'^<input class="task-list-item-checkbox"')


def use_constructs(md: MarkdownIt) -> None:
    """Add the core rules and renderers of this module to ``md`` (after its plugins)."""
    md.core.ruler.after("inline", "mx_figures", _figures)
    md.core.ruler.after("inline", "mx_table_captions", _table_captions)
    md.core.ruler.after("inline", "mx_line_blocks", _line_blocks)
    md.core.ruler.after("inline", "mx_empty_headers", _empty_header_cells)
    md.core.ruler.after("github-tasklists", "mx_task_boxes", _task_boxes)
    for name, rule in RENDERERS.items():
        md.add_render_rule(name, rule)


# --- core rules: run once, at parse time, for every edition ------------------------------------


def _figures(state: StateCore) -> None:
    """``![alt](x.png "Caption")`` alone in a paragraph → figure, image, figcaption."""
    tokens = state.tokens
    index = 0
    while index + 2 < len(tokens):
        image = _lone_image(tokens, index)
        if image is None or not image.attrGet("title"):
            index += 1
            continue
        opening, inline, closing = tokens[index : index + 3]
        caption = str(image.attrGet("title"))
        del image.attrs["title"]
        opening.type, opening.tag = "figure_open", "figure"
        closing.type, closing.tag = "figure_close", "figure"
        opening.attrJoin("class", "figure")
        if image.attrGet("id"):
            opening.attrSet("id", str(image.attrGet("id")))
            del image.attrs["id"]
        caption_tokens = [
            _block("figcaption_open", "figcaption", 1, inline.level),
            _inline(state, caption, inline),
            _block("figcaption_close", "figcaption", -1, inline.level),
        ]
        tokens[index + 2 : index + 2] = caption_tokens
        index += 6


def _lone_image(tokens: Sequence[Token], index: int) -> Token | None:
    opening = tokens[index]
    if opening.type != "paragraph_open" or opening.hidden:  # hidden: a tight list's item
        return None
    if tokens[index + 2].type != "paragraph_close":
        return None
    children = [
        c
        for c in tokens[index + 1].children or []
        if not (c.type in ("text", "softbreak") and not c.content.strip())
    ]
    if len(children) == 1 and children[0].type == "image":
        return children[0]
    return None


def _table_captions(state: StateCore) -> None:
    """A ``Table: …`` paragraph just before or after a table becomes its ``<caption>``."""
    tokens = state.tokens
    index = 0
    while index + 2 < len(tokens):
        para, inline = tokens[index], tokens[index + 1]
        if (
            para.type != "paragraph_open"
            or not _TABLE_CAPTION_RE.match(inline.content)
            or not inline.children
            or inline.children[0].type != "text"
        ):
            index += 1
            continue
        if index + 3 < len(tokens) and tokens[index + 3].type == "table_open":
            table_at = index  # after the paragraph is removed
        elif index > 0 and tokens[index - 1].type == "table_close":
            table_at = _table_start(tokens, index - 1)
        else:
            index += 1
            continue
        del tokens[index : index + 3]
        first = inline.children[0]
        first.content = _TABLE_CAPTION_RE.sub("", first.content, count=1)
        inline.content = _TABLE_CAPTION_RE.sub("", inline.content, count=1)
        level = tokens[table_at].level + 1
        inline.level = level + 1
        tokens[table_at + 1 : table_at + 1] = [
            _block("table_caption_open", "caption", 1, level),
            inline,
            _block("table_caption_close", "caption", -1, level),
        ]
        index += 1


def _table_start(tokens: Sequence[Token], close: int) -> int:
    depth = 0
    for index in range(close, -1, -1):
        if tokens[index].type == "table_close":
            depth += 1
        elif tokens[index].type == "table_open":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("table_close without table_open")


def _empty_header_cells(state: StateCore) -> None:
    """Mark an empty header cell (the corner above a column of row names) for the
    renderer: on screen it is a ``<td>`` (a ``<th>`` with no text names nothing: Ace and axe
    fail it, empty-table-header); in print it stays a ``<th>``, or PDF/UA finds the cells
    below it without a header (WeasyPrint tags header columns from the ``<th>`` cells)."""
    tokens = state.tokens
    for index, token in enumerate(tokens[:-2]):
        cell, close = tokens[index + 1], tokens[index + 2]
        empty = cell.type == "inline" and not cell.content.strip()
        if token.type == "th_open" and empty and close.type == "th_close":
            token.meta["mx_empty"] = close.meta["mx_empty"] = True


def _line_blocks(state: StateCore) -> None:
    """Inside ``::: lines``, every line break of the source is kept (verse, addresses)."""
    depth = 0
    for token in state.tokens:
        if token.type == "container_lines_open":
            depth += 1
        elif token.type == "container_lines_close":
            depth -= 1
        elif depth and token.type == "inline":
            for child in token.children or []:
                if child.type == "softbreak":
                    child.type = "hardbreak"


def _task_boxes(state: StateCore) -> None:
    """The task-list plugin's HTML ``<input>`` → a token we render as XHTML, printable."""
    for token in state.tokens:
        children = token.children or []
        if children and children[0].type == "html_inline" and _TASK_RE.match(children[0].content):
            box = Token("task_box", "", 0)
            box.meta = {"checked": 'checked="checked"' in children[0].content}
            children[0] = box


def _block(kind: str, tag: str, nesting: Literal[-1, 1], level: int) -> Token:
    token = Token(kind, tag, nesting)
    token.block = True
    token.level = level
    return token


def _inline(state: StateCore, text: str, like: Token) -> Token:
    token = Token("inline", "", 0)
    token.content = text
    token.map = like.map
    token.level = like.level + 1
    token.children = []
    state.md.inline.parse(text, state.md, state.env, token.children)
    return token


# --- renderers: called for each edition with env["mx"] saying which ----------------------------
