"""Markdown constructs beyond CommonMark and how each kind of edition renders them.

One parser, one token stream, two renderings: *screen* (EPUB and web) gathers notes at the end of
the section as EPUB 3 footnotes with back links; *print* sets each note at its call, where
WeasyPrint's ``float: footnote`` moves it to the foot of the page, and can follow external links
with their URL. Core rules here turn a paragraph that is only a titled image into a figure,
``Table: …`` paragraphs into table captions, task-list markers into check boxes and the
paragraphs of a ``::: lines`` block into line-broken verse.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLinkText
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

PRINT = "print"
SCREEN = "screen"

_EXTERNAL_RE = re.compile(r"^(?:https?|ftp|mailto):", re.IGNORECASE)
_TABLE_CAPTION_RE = re.compile(r"^Table:\s+")
_TASK_RE = re.compile(r'^<input class="task-list-item-checkbox"')

Env = MutableMapping[str, Any]


@dataclass
class RenderState:
    """The running numbers of one rendering pass over the sections, in reading order.

    One instance renders every section for one medium, so that per-document numbering
    carries on from section to section.
    """

    medium: str = SCREEN
    notes_per_section: bool = False
    print_urls: str = "footnote"
    figure_numbers: bool = False
    notes: int = 0
    figures: int = 0
    tables: int = 0


def use_constructs(md: MarkdownIt) -> None:
    """Add the core rules and renderers of this module to ``md`` (after its plugins)."""
    md.core.ruler.after("inline", "mx_figures", _figures)
    md.core.ruler.after("inline", "mx_table_captions", _table_captions)
    md.core.ruler.after("inline", "mx_line_blocks", _line_blocks)
    md.core.ruler.after("github-tasklists", "mx_task_boxes", _task_boxes)
    for name, rule in _RENDERERS.items():
        md.add_render_rule(name, rule)


def render_section(
    md: MarkdownIt,
    tokens: Sequence[Token],
    doc_id: str,
    state: RenderState,
    found: dict[str, Any] | None = None,
) -> str:
    """Render one section's tokens for ``state.medium``, advancing ``state``'s numbers.
    What the renderer noted on the way (e.g. ``raw_images``) is copied into ``found``."""
    if state.notes_per_section:
        state.notes = 0
    bodies = note_bodies(tokens)
    if state.medium == PRINT:
        tokens = _without_note_block(tokens)
    env: Env = {"docId": doc_id, "mx": state, "mx_bodies": bodies, "mx_numbers": {}}
    env["mx_base"] = state.notes
    html = md.renderer.render(tokens, md.options, env)
    if state.medium == SCREEN:
        state.notes += len(bodies)
    if found is not None:
        found.update({k: v for k, v in env.items() if not k.startswith("mx") and k != "docId"})
    return html


def note_bodies(tokens: Sequence[Token]) -> dict[int, list[Token]]:
    """Each footnote's block tokens by its number (0-based), back-link anchors left out."""
    bodies: dict[int, list[Token]] = {}
    current: list[Token] | None = None
    for token in tokens:
        if token.type == "footnote_open":
            current = bodies.setdefault(int(token.meta["id"]), [])
        elif token.type == "footnote_close":
            current = None
        elif current is not None and token.type != "footnote_anchor":
            current.append(token)
    return bodies


def _without_note_block(tokens: Sequence[Token]) -> list[Token]:
    """Print sets each note at its call, so the gathered notes at the end are left out."""
    kept: list[Token] = []
    inside = False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif not inside:
            kept.append(token)
    return kept


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


def _state(env: Env) -> RenderState:
    state = env.get("mx")
    return state if isinstance(state, RenderState) else RenderState()


def _note_anchor(env: Env, note: int) -> str:
    return f"fn-{env.get('docId') or 'doc'}-{note + 1}"


def _ref_anchor(env: Env, note: int, sub: int) -> str:
    base = f"fnref-{env.get('docId') or 'doc'}-{note + 1}"
    return f"{base}-{sub + 1}" if sub else base


def _footnote_ref(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    state = _state(env)
    note = int(tokens[idx].meta["id"])
    sub = int(tokens[idx].meta.get("subId", 0) or 0)
    anchor = _note_anchor(env, note)
    if state.medium == PRINT:
        numbers = env.setdefault("mx_numbers", {})
        if note in numbers:
            return f'<sup class="footnote-ref"><a href="#{anchor}">{numbers[note]}</a></sup>'
        state.notes += 1
        numbers[note] = state.notes
        body = _render_note_body(self, env.get("mx_bodies", {}).get(note, []), options, env)
        return f'<span class="footnote" id="{anchor}" data-n="{state.notes}">{body}</span>'
    number = int(env.get("mx_base", 0)) + note + 1
    return (
        f'<sup class="footnote-ref"><a id="{_ref_anchor(env, note, sub)}" href="#{anchor}" '
        f'epub:type="noteref" role="doc-noteref">{number}</a></sup>'
    )


def _render_note_body(self: Any, body: list[Token], options: OptionsDict, env: Env) -> str:
    """A note's paragraphs as inline spans, to sit inside the paragraph that calls it."""
    env["mx_in_note"] = True
    try:
        return str(self.render(body, options, env)).strip()
    finally:
        env["mx_in_note"] = False


def _footnote_block_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    if _state(env).medium == PRINT:
        return ""
    return '<section class="footnotes" aria-label="Notes">\n'


def _footnote_block_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    return "" if _state(env).medium == PRINT else "</section>\n"


def _footnote_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    if _state(env).medium == PRINT:
        return ""
    note = int(tokens[idx].meta["id"])
    number = int(env.get("mx_base", 0)) + note + 1
    env["mx_backlink"] = (
        f'<a class="footnote-back" href="#{_ref_anchor(env, note, 0)}" '
        f'role="doc-backlink">{number}.</a> '
    )
    return (
        f'<aside class="footnote" id="{_note_anchor(env, note)}" '
        'epub:type="footnote" role="doc-footnote">\n'
    )


def _footnote_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    if _state(env).medium == PRINT:
        return ""
    env.pop("mx_backlink", None)
    return "</aside>\n"


def _footnote_anchor(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    """Back links of second and later calls of one note (the number links to the first)."""
    sub = int(tokens[idx].meta.get("subId", 0) or 0)
    if _state(env).medium == PRINT or sub == 0:
        return ""
    note = int(tokens[idx].meta["id"])
    return (
        f' <a class="footnote-back" href="#{_ref_anchor(env, note, sub)}" role="doc-backlink" '
        f'aria-label="Back to call {sub + 1}">↑{sub + 1}</a>'
    )


def _paragraph_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    if env.get("mx_in_note"):
        return '<span class="footnote-p">'
    backlink = env.pop("mx_backlink", None)
    html = str(self.renderToken(tokens, idx, options, env))
    return html + backlink if backlink else html


def _paragraph_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    if env.get("mx_in_note"):
        return "</span>"
    return str(self.renderToken(tokens, idx, options, env))


def _softbreak(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env) -> str:
    # WeasyPrint (70) breaks the line at a newline inside a ``float: footnote`` element,
    # as if white-space were pre-line: a note's source line breaks become spaces.
    return " " if env.get("mx_in_note") else "\n"


def _link_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    """In print, an external link is followed by its URL (in a note or in the line)."""
    html = str(self.renderToken(tokens, idx, options, env))
    state = _state(env)
    if state.medium != PRINT or state.print_urls == "none":
        return html
    opening, text = _link_opening(tokens, idx)
    href = str(opening.attrGet("href") or "") if opening else ""
    if not _EXTERNAL_RE.match(href):
        return html
    shown = normalizeLinkText(href)
    shown = shown[len("mailto:") :] if shown.lower().startswith("mailto:") else shown
    bare = re.sub(r"^[a-z]+://", "", shown, flags=re.IGNORECASE).rstrip("/")
    if text.strip() in (shown, bare, href):
        return html  # the text is the address already
    if state.print_urls == "inline" or env.get("mx_in_note"):
        return f'{html}<span class="link-url"> &lt;{escapeHtml(shown)}&gt;</span>'
    state.notes += 1
    return (
        f'{html}<span class="footnote link-note" data-n="{state.notes}">'
        f'<a href="{escapeHtml(href)}">{escapeHtml(shown)}</a></span>'
    )


def _link_opening(tokens: Sequence[Token], close: int) -> tuple[Token | None, str]:
    """The ``link_open`` matching ``tokens[close]`` and the plain text between them."""
    depth = 0
    parts: list[str] = []
    for index in range(close - 1, -1, -1):
        token = tokens[index]
        if token.type == "link_close":
            depth += 1
        elif token.type == "link_open":
            if depth == 0:
                return token, "".join(reversed(parts))
            depth -= 1
        elif token.type in ("text", "code_inline"):
            parts.append(token.content)
    return None, ""


def _caption_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    """``<figcaption>`` or ``<caption>``, labelled "Figure N." / "Table N." when numbered."""
    state = _state(env)
    tag = tokens[idx].tag
    if tag == "figcaption":
        state.figures += 1
        label, number = "Figure", state.figures
    else:
        state.tables += 1
        label, number = "Table", state.tables
    if not state.figure_numbers:
        return f"<{tag}>"
    return f'<{tag}><span class="caption-label">{label} {number}.</span> '


def _task_box(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env) -> str:
    if tokens[idx].meta.get("checked"):
        return '<span class="task-box task-done" role="img" aria-label="Done">☑</span>'
    return '<span class="task-box" role="img" aria-label="Not done">☐</span>'


_RENDERERS = {
    "footnote_ref": _footnote_ref,
    "footnote_block_open": _footnote_block_open,
    "footnote_block_close": _footnote_block_close,
    "footnote_open": _footnote_open,
    "footnote_close": _footnote_close,
    "footnote_anchor": _footnote_anchor,
    "paragraph_open": _paragraph_open,
    "paragraph_close": _paragraph_close,
    "softbreak": _softbreak,
    "link_close": _link_close,
    "figcaption_open": _caption_open,
    "table_caption_open": _caption_open,
    "task_box": _task_box,
}
