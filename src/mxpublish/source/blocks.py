"""A section's text as the linter reads it: its blocks with their lines, and its running prose."""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it.token import Token

from mxpublish.model import Block
from mxpublish.source.markdown import inline_text

_BLOCK_KINDS = {"paragraph_open": "paragraph", "td_open": "cell", "th_open": "cell"}


_TAG_RE = re.compile(r"<[^>]*>")
#: Blocks set apart from the text (code, tables, display math), kept as "display" blocks
#: without text: the linter needs only to know that text introduces one.
_DISPLAYS = ("fence", "code_block", "table_open", "math_block", "math_block_eq")


def text_blocks(tokens: list[Token]) -> Iterator[Block]:
    """The text blocks the linter reads, in source order, with their first line.

    Paragraphs of a line block (verse, an address) are ``line``s and a quotation's closing
    ``— Source`` is an ``attribution``: neither is expected to end a sentence. Code blocks,
    tables and display math are ``display`` blocks without text.
    """
    lists = quotes = line_blocks = 0
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif token.type in ("blockquote_open", "blockquote_close"):
            quotes += token.nesting
        elif token.type in ("container_lines_open", "container_lines_close"):
            line_blocks += token.nesting
        elif token.type in _DISPLAYS and token.map:
            yield Block("display", token.map[0] + 1, "", "")
        elif token.type == "html_block" and token.map:
            prose = _TAG_RE.sub("", token.content).strip()
            yield Block("html", token.map[0] + 1, token.content.rstrip("\n"), prose)
        elif token.type == "inline" and token.map and index:
            kind = _BLOCK_KINDS.get(tokens[index - 1].type)
            if kind:
                prose = _prose(token)
                if kind == "paragraph" and line_blocks:
                    kind = "line"
                elif kind == "paragraph" and quotes and prose.lstrip().startswith(("—", "―")):
                    kind = "attribution"
                elif kind == "paragraph" and lists:
                    kind = "item"
                yield Block(kind, token.map[0] + 1, token.content, prose)


def _prose(token: Token) -> str:
    """What a reader sees of an inline token, code spans and raw HTML left out."""
    parts = []
    for child in token.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


#: Blocks whose text is not running prose: headings, notes, tables, figure captions, the
#: labels of alerts and admonitions.
_ASIDE_BLOCKS = ("heading", "footnote_block", "table", "figure", "alert_title", "admonition_title")


def running_text(tokens: list[Token]) -> str:
    """The plain text of the section's paragraphs and list items, in order: the prose whose
    last sentence `check` reads."""
    paragraphs: list[str] = []
    depth = 0
    for token in tokens:
        kind = token.type.removesuffix("_open").removesuffix("_close")
        if kind in _ASIDE_BLOCKS:
            depth += token.nesting
        elif token.type == "inline" and not depth:
            paragraphs.append(inline_text(token))
    return "\n\n".join(p for p in paragraphs if p)
