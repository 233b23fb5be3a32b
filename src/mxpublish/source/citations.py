"""Pandoc's citation syntax and Quarto's cross-reference syntax as markdown-it rules.

``[@key]``, ``[@key, p. 12]``, ``[see @a; @b]``, ``[-@key]`` (author suppressed) and ``@key``
in the running text (optionally followed by ``[p. 12]``) become ``citation`` tokens; ``@fig-x``,
``@tbl-x``, ``@sec-x`` and ``@eq-x`` become ``crossref`` tokens. The parser only records what was
written: bibliography.py and crossrefs.py fill in ``meta["html"]`` once the whole publication
is known (citeproc numbers, disambiguates and shortens across sections).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.container import container_plugin

#: Quarto's prefixes of cross-reference targets: ``@fig-map`` is a figure, not a citation.
CROSSREF_KINDS = {"fig": "Figure", "tbl": "Table", "sec": "Section", "eq": "Equation"}
#: A citation key: letters, digits and ``_``, with internal punctuation (Pandoc's rule).
_KEY = r"[\w](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*"
_KEY_RE = re.compile(_KEY)
_CITE_RE = re.compile(
    r"^(?P<prefix>.*?)(?:(?<=\s)|^)(?P<minus>-?)@(?P<key>" + _KEY + r")(?P<suffix>.*)$", re.S
)
#: Locator terms Pandoc recognises (the common English ones) → CSL locator labels.
LOCATOR_TERMS = {
    "p": "page", "pp": "page", "page": "page", "pages": "page",
    "chap": "chapter", "ch": "chapter", "chapter": "chapter", "chapters": "chapter",
    "sec": "section", "section": "section", "sections": "section",
    "vol": "volume", "vols": "volume", "volume": "volume",
    "fig": "figure", "figs": "figure", "figure": "figure",
    "para": "paragraph", "paragraph": "paragraph", "¶": "paragraph",
    "n": "note", "nn": "note", "note": "note",
    "l": "line", "ll": "line", "line": "line",
    "no": "issue", "bk": "book", "book": "book", "pt": "part", "part": "part",
}  # fmt: skip
_LOCATOR_RE = re.compile(
    r"^\s*,?\s*(?:(?P<term>[A-Za-z¶]+)\.?\s*)?(?P<value>[0-9ivxlcdmIVXLCDM](?:[\w\-–,]*\w)?)?"
    r"(?P<rest>.*)$",
    re.S,
)


@dataclass(frozen=True)
class Cite:
    """One cited work as written: ``[see @key, p. 12]`` → prefix "see", key, label "page",
    locator "12"; ``suppress_author`` for ``-@key``."""

    key: str
    prefix: str = ""
    suffix: str = ""
    label: str | None = None
    locator: str | None = None
    suppress_author: bool = False


def citations_plugin(md: MarkdownIt) -> None:
    """Add the citation and cross-reference rules, their renderers and ``::: references``."""
    md.inline.ruler.before("link", "mx_cite_bracket", _bracketed)
    md.inline.ruler.push("mx_cite_intext", _in_text)
    md.add_render_rule("citation", _render_filled)
    md.add_render_rule("crossref", _render_filled)
    md.use(container_plugin, "references", render=_references_block)


def is_crossref(key: str) -> bool:
    prefix, _, rest = key.partition("-")
    return prefix in CROSSREF_KINDS and bool(rest)


def parse_cite(text: str) -> Cite | None:
    """One ``;``-separated part of a bracketed citation, or None if it cites nothing."""
    match = _CITE_RE.match(text.strip())
    if not match:
        return None
    label, locator, suffix = split_locator(match.group("suffix"))
    return Cite(
        key=match.group("key"),
        prefix=match.group("prefix").strip(),
        suffix=suffix,
        label=label,
        locator=locator,
        suppress_author=bool(match.group("minus")),
    )


def split_locator(suffix: str) -> tuple[str | None, str | None, str]:
    """``", p. 12, emphasis added"`` → ("page", "12", ", emphasis added"); a bare number is a
    page, as in Pandoc. Text that holds no locator comes back whole as the suffix."""
    match = _LOCATOR_RE.match(suffix)
    if not suffix.strip() or not match or not match.group("value"):
        return None, None, suffix.strip()
    term = match.group("term")
    label = LOCATOR_TERMS.get(term.lower()) if term else "page"
    if label is None:
        return None, None, suffix.strip()
    return label, match.group("value").replace("--", "–"), match.group("rest").rstrip()


def _bracketed(state: StateInline, silent: bool) -> bool:
    """``[see @a, p. 3; @b]``: every ``;`` part must cite a key, else it is not a citation."""
    src, start = state.src, state.pos
    if src[start] != "[" or src.startswith("[^", start):
        return False
    end = _closing_bracket(src, start)
    if end < 0 or src[end + 1 : end + 2] in ("(", "["):  # a link or reference link
        return False
    parts = [parse_cite(part) for part in src[start + 1 : end].split(";")]
    if not parts or any(p is None for p in parts):
        return False
    cites = [p for p in parts if p is not None]
    if any(is_crossref(c.key) for c in cites):
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"cites": cites, "in_text": False, "written": src[start : end + 1]}
    state.pos = end + 1
    return True


def _in_text(state: StateInline, silent: bool) -> bool:
    """``@key`` where a word may start (not ``a@b``), with an optional `` [p. 3]`` after."""
    src, start = state.src, state.pos
    if src[start] != "@" or (start and (src[start - 1].isalnum() or src[start - 1] in "_@")):
        return False
    if state.linkLevel > 0:  # inside a link's text: a link cannot hold another
        return False
    match = _KEY_RE.match(src, start + 1)
    if not match:
        return False
    key, pos = match.group(0), match.end()
    if is_crossref(key):
        if not silent:
            token = state.push("crossref", "", 0)
            token.meta = {"key": key, "written": src[start:pos]}
        state.pos = pos
        return True
    label = locator = None
    suffix = ""
    after = re.match(r" ?\[([^\[\]]*)\]", src[pos:])
    if after and src[pos + after.end() : pos + after.end() + 1] not in ("(", "["):
        label, locator, suffix = split_locator(after.group(1))
        pos += after.end()
    if not silent:
        token = state.push("citation", "", 0)
        cite = Cite(key, suffix=suffix, label=label, locator=locator)
        token.meta = {"cites": [cite], "in_text": True, "written": src[start:pos]}
    state.pos = pos
    return True


def _closing_bracket(src: str, start: int) -> int:
    depth, index = 0, start - 1
    while index + 1 < len(src):
        index += 1
        char = src[index]
        if char == "\\":  # an escaped bracket does not count
            index += 1
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _render_filled(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    """What bibliography.py or crossrefs.py put in ``meta["html"]``; as written otherwise."""
    meta = tokens[idx].meta
    html = meta.get("html")
    return str(html) if html is not None else escapeHtml(str(meta.get("written", "")))


def _references_block(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return ""
    return str(token.meta.get("html", ""))


def citation_tokens(tokens: Sequence[Token]) -> list[tuple[Token, Token]]:
    """Every (inline parent, citation child) in document order, the main text first, then
    the notes (a citation inside a note belongs there, not in a note of its own)."""
    main: list[tuple[Token, Token]] = []
    notes: list[tuple[Token, Token]] = []
    inside = False
    for token in tokens:
        if token.type in ("footnote_block_open", "footnote_block_close"):
            inside = token.type == "footnote_block_open"
        for child in token.children or []:
            if child.type == "citation":
                (notes if inside else main).append((token, child))
    return main + notes


def citations_to_notes(tokens: list[Token]) -> list[Token]:
    """For a notes style: each citation in the text becomes a footnote of its own, numbered
    with the author's notes in reading order (``@key`` keeps the author's name in the line).

    The footnote plugin's ids are renumbered and its block rebuilt, so both renderings of
    notes (gathered on screen, at the page foot in print) treat citation notes like others.
    """
    block = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), None)
    body, tail = (tokens, []) if block is None else (tokens[:block], tokens[block:])
    old_notes = _note_groups(tail)
    renumbered: dict[int, int] = {}
    new_notes: list[list[Token]] = []
    for token in body:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        for index, child in enumerate(token.children):
            if child.type == "footnote_ref":
                old = int(child.meta["id"])
                if old not in renumbered:
                    renumbered[old] = len(new_notes)
                    new_notes.append(old_notes.get(old, []))
                child.meta = {**child.meta, "id": renumbered[old]}
                children.append(child)
            elif child.type == "citation":
                number = len(new_notes)
                new_notes.append(_citation_note(child, number, token))
                if child.meta.get("in_text") and child.meta.get("author_html"):
                    author = Token("citation", "", 0)
                    author.meta = {"html": child.meta["author_html"]}
                    children.append(author)
                else:
                    _tuck(children, token.children, index)
                reference = Token("footnote_ref", "", 0)
                reference.meta = {"id": number, "subId": 0, "label": None}
                children.append(reference)
            else:
                children.append(child)
        token.children = children
    for old, group in old_notes.items():  # notes defined but never called keep their bodies
        if old not in renumbered:
            renumbered[old] = len(new_notes)
            new_notes.append(group)
    for number, group in enumerate(new_notes):
        for token in group:
            if token.type in ("footnote_open", "footnote_anchor"):
                token.meta = {**token.meta, "id": number}
    if not new_notes:
        return body
    opening, closing = Token("footnote_block_open", "", 1), Token("footnote_block_close", "", -1)
    return [*body, opening, *(t for group in new_notes for t in group), closing]


def _tuck(before: list[Token], children: list[Token], index: int) -> None:
    """As Pandoc does for notes styles: the note call drops the space before the citation
    and follows the punctuation after it ("flows [@a]." → "flows.¹")."""
    while before and before[-1].type == "softbreak":
        before.pop()
    if before and before[-1].type == "text":
        before[-1].content = before[-1].content.rstrip()
    after = children[index + 1] if index + 1 < len(children) else None
    if after is not None and after.type == "text" and after.content[:1] in (".", ",", ";", ":"):
        mark = Token("text", "", 0)
        mark.content, after.content = after.content[0], after.content[1:]
        before.append(mark)


def _note_groups(tail: Sequence[Token]) -> dict[int, list[Token]]:
    """The footnote block's notes by old id: each from footnote_open to footnote_close."""
    groups: dict[int, list[Token]] = {}
    current: list[Token] | None = None
    for token in tail:
        if token.type == "footnote_open":
            current = groups.setdefault(int(token.meta["id"]), [])
        if current is not None:
            current.append(token)
        if token.type == "footnote_close":
            current = None
    return groups


def _citation_note(citation: Token, number: int, parent: Token) -> list[Token]:
    opening = Token("footnote_open", "", 1)
    opening.meta = {"id": number, "label": None}
    paragraph = Token("paragraph_open", "p", 1)
    paragraph.block = True
    inline = Token("inline", "", 0)
    inline.map = parent.map
    inline.content = str(citation.meta.get("written", ""))
    text = Token("citation", "", 0)
    text.meta = {"html": citation.meta.get("html", "")}
    inline.children = [text]
    anchor = Token("footnote_anchor", "", 0)
    anchor.meta = {"id": number, "subId": 0, "label": None}
    close = Token("paragraph_close", "p", -1)
    close.block = True
    return [opening, paragraph, inline, anchor, close, Token("footnote_close", "", -1)]
