"""The two renderings of one token stream, and the renderers that make them differ.

*screen* (EPUB and web) gathers notes at the end of the section as EPUB 3 footnotes with back
links; *print* sets each note at its call, where WeasyPrint's ``float: footnote`` moves it to the
foot of the page, and can follow external links with their URL. A ``RenderState`` carries the
running numbers of notes, figures and tables from section to section.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLinkText
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from mxpublish.editions import PRINT_PASS, SCREEN_PASS

PRINT = PRINT_PASS
SCREEN = SCREEN_PASS

_EXTERNAL_RE = re.compile(r"^(?:https?|ftp|mailto):", re.IGNORECASE)

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


def _header_cell(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Env
) -> str:
    """An empty header cell (constructs.py marks it) is a ``<td>`` on screen."""
    token = tokens[idx]
    if not token.meta.get("mx_empty") or _state(env).medium == PRINT:
        return str(self.renderToken(tokens, idx, options, env))
    tag, token.tag = token.tag, "td"
    try:
        return str(self.renderToken(tokens, idx, options, env))
    finally:
        token.tag = tag


RENDERERS = {
    "th_open": _header_cell,
    "th_close": _header_cell,
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
