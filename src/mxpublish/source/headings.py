"""Parser rules for headings and legacy anchors, run for every edition.

Each heading's text as written is noted before typography turns ``--`` into a dash (ids are
made from it, see ids.py); ``<a id="x"></a>`` and ``<span id="x"></span>`` anchors, as
GitHub-era sources use to keep old links working, become ``legacy_anchor`` tokens that print
nothing; a paragraph left with nothing to print (only such anchors and comments) is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_ANCHOR_RE = re.compile(
    r"""<(a|span)\s+(?:id|name)\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)')\s*>\s*</\1\s*>""",
    re.IGNORECASE,
)
#: ``{#id .class}`` at the end of a heading; Pandoc's ``{-}`` (unnumbered) is accepted and
#: means nothing here, since headings are not numbered.
_TRAILING_RE = re.compile(r"\s*\{((?:\s*(?:#[A-Za-z][\w-]*|\.[A-Za-z][\w-]*|-))+)\s*\}\s*$")
_SOURCE_TEXT = ("text", "text_special", "code_inline")
#: Inline tokens that print nothing: a paragraph made only of them (and spaces) is dropped.
_SILENT = ("legacy_anchor", "comment")


def use_headings(md: MarkdownIt) -> None:
    """Add the legacy-anchor inline rule and the core rules that note each heading's text as
    written (before typography turns ``--`` into a dash) and drop paragraphs left empty."""
    md.inline.ruler.before("autolink", "legacy_anchor", _legacy_anchor)
    md.core.ruler.after("inline", "mx_silent_paragraphs", _silent_paragraphs)
    md.core.ruler.after("inline", "mx_heading_source", _heading_source)
    md.add_render_rule("legacy_anchor", _render_nothing)
    md.add_render_rule("anchor_aliases", _render_nothing)


def _legacy_anchor(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("<", state.pos):
        return False
    match = _ANCHOR_RE.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("legacy_anchor", "", 0)
        token.meta = {"id": match.group(2) if match.group(2) is not None else match.group(3)}
    state.pos = match.end()
    return True


def _heading_source(state: StateCore) -> None:
    tokens = state.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            children = inline.children or []
            _trailing_attributes(token, inline)
            text = "".join(c.content for c in children if c.type in _SOURCE_TEXT)
            token.meta = {**(token.meta or {}), "source_text": text}


def _trailing_attributes(heading: Token, inline: Token) -> None:
    """``## Title {#id .class}`` (Pandoc, mdBook): the braces set the heading's id and classes
    and are not printed."""
    children = inline.children or []
    last = children[-1] if children else None
    match = _TRAILING_RE.search(last.content) if last and last.type == "text" else None
    if last is None or match is None:
        return
    for part in match.group(1).split():
        if part.startswith("#") and not heading.attrGet("id"):
            heading.attrSet("id", part[1:])
        elif part.startswith("."):
            heading.attrJoin("class", part[1:])
    last.content = last.content[: match.start()]
    inline.content = _TRAILING_RE.sub("", inline.content)


def _silent_paragraphs(state: StateCore) -> None:
    """A paragraph holding only comments and legacy anchors would print as an empty one:
    drop it, keeping its anchors as an ``anchor_aliases`` token for the ids to come."""
    tokens = state.tokens
    index = 0
    while index + 2 < len(tokens):
        opening, inline, closing = tokens[index : index + 3]
        children = inline.children or []
        if (
            opening.type != "paragraph_open"
            or closing.type != "paragraph_close"
            or not children
            or not any(c.type in _SILENT for c in children)
            or not all(
                c.type in _SILENT or (c.type in ("text", "softbreak") and not c.content.strip())
                for c in children
            )
        ):
            index += 1
            continue
        names = [str(c.meta["id"]) for c in children if c.type == "legacy_anchor"]
        kept = [c for c in children if c.type == "comment"]
        replacement = []
        if names:
            aliases = Token("anchor_aliases", "", 0)
            aliases.block = True
            aliases.map = opening.map
            aliases.meta = {"ids": names}
            replacement.append(aliases)
        for comment in kept:  # still listed by `check`
            comment.block = True
            comment.map = opening.map
            replacement.append(comment)
        tokens[index : index + 3] = replacement
        index += len(replacement)


def _render_nothing(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return ""
