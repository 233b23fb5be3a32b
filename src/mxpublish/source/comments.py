"""HTML comments are the author's private notes: never published, never parsed as Markdown.

Two parser rules, active whatever ``allow_html`` says: a *block* comment (a line starting
with ``<!--``, up to the line holding ``-->``, blank lines and ``# headings`` inside
included, as CommonMark's HTML block type 2) and an *inline* comment inside a paragraph
(CommonMark 0.31's syntax: ``<!-->``, ``<!--->``, or ``<!--`` … ``-->``, which may hold
``--``). Both become ``comment`` tokens that render as nothing in every edition; the parser
notes each in ``env["comments"]`` as ``(line, text)`` so that ``check`` can list what is held
back. A ``<!--`` a paragraph does not close (a blank line ends a paragraph) would print the
rest of the note: it is noted in ``env["comment_problems"]`` and reported as an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from mxpublish.errors import Diagnostic, Severity, error

OPEN = "<!--"
CLOSE = "-->"


def use_comments(md: MarkdownIt) -> None:
    """Add the comment rules to ``md``: before raw HTML, so they win when it is allowed."""
    md.block.ruler.before(
        "html_block",
        "comment_block",
        _comment_block,
        {"alt": ["paragraph", "reference", "blockquote"]},
    )
    md.inline.ruler.before("autolink", "comment_inline", _comment_inline)
    md.core.ruler.after("inline", "mx_comments", _collect)
    md.add_render_rule("comment", _render_nothing)


def comment_end(text: str, start: int) -> int:
    """Index just past the comment opening at ``text[start]`` (``<!--``), or -1 when it is
    not closed in ``text``. ``<!-->`` and ``<!--->`` are complete (empty) comments."""
    after = start + len(OPEN)
    if text.startswith(">", after):
        return after + 1
    if text.startswith("->", after):
        return after + 2
    end = text.find(CLOSE, after)
    return -1 if end < 0 else end + len(CLOSE)


def _comment_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    pos = state.bMarks[start_line] + state.tShift[start_line]
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False  # indented code
    if not state.src.startswith(OPEN, pos):
        return False
    if silent:
        return True
    limit = state.eMarks[end_line - 1]
    close = comment_end(state.src[:limit], pos)
    last = start_line
    if close < 0:
        last = end_line - 1  # unclosed: as CommonMark, the comment runs to the end
    while close >= 0 and state.eMarks[last] < close:
        last += 1
    stop = close if close >= 0 else state.eMarks[last]
    token = state.push("comment", "", 0)
    token.block = True
    token.map = [start_line, last + 1]
    token.content = state.src[pos:stop]
    if close < 0:
        token.meta = {"unclosed": True}
    rest = state.src[stop : state.eMarks[last]] if close >= 0 else ""
    state.line = last + 1
    if rest.strip():
        _push_rest(state, rest.strip(), last, end_line)
    return True


def _push_rest(state: StateBlock, text: str, line: int, end_line: int) -> None:
    """Text after ``-->`` on the comment's last line starts a paragraph, continued as any
    paragraph is (CommonMark would pass it on as raw HTML; this way it is escaped or
    sanitized as any text is, and a comment it opens may close on a following line)."""
    terminators = state.md.block.ruler.getRules("paragraph")
    following = line + 1
    while following < end_line and not state.isEmpty(following):
        if state.sCount[following] - state.blkIndent <= 3 and any(
            rule(state, following, end_line, True) for rule in terminators
        ):
            break
        following += 1
    more = state.getLines(line + 1, following, state.blkIndent, False).strip()
    opening = state.push("paragraph_open", "p", 1)
    opening.map = [line, following]
    inline = state.push("inline", "", 0)
    inline.content = f"{text}\n{more}" if more else text
    inline.map = [line, following]
    inline.children = []
    state.push("paragraph_close", "p", -1)
    state.line = following


def _comment_inline(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith(OPEN, state.pos):
        return False
    end = comment_end(state.src, state.pos)
    if end < 0:
        return False
    if not silent:
        token = state.push("comment", "", 0)
        token.content = state.src[state.pos : end]
    state.pos = end
    return True


def _collect(state: StateCore) -> None:
    """List every comment (line, text) and every paragraph that opens one without closing it."""
    comments: list[tuple[int | None, str]] = state.env.setdefault("comments", [])
    problems: list[tuple[int | None, str]] = state.env.setdefault("comment_problems", [])
    for token in state.tokens:
        line = token.map[0] + 1 if token.map else None
        if token.type == "comment":
            comments.append((line, token.content))
            if token.meta.get("unclosed"):
                problems.append((line, "block"))
            continue
        for child in token.children or []:
            if child.type == "comment":
                comments.append((line, child.content))
            elif child.type == "text" and OPEN in child.content:
                problems.append((line, "paragraph"))


def _render_nothing(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return ""


def comment_diagnostics(env: EnvType, file: str) -> list[Diagnostic]:
    """An info per comment (what ``check`` lists as held back) and an error per comment that
    would leak or hide text: opened in a paragraph and not closed in it, or never closed."""
    found: list[Diagnostic] = []
    for line, text in env.get("comments", []):
        first = " ".join(text.removeprefix(OPEN).removesuffix(CLOSE).split())
        shown = first if len(first) <= 60 else first[:59] + "…"
        found.append(
            Diagnostic(
                file, line, None, "HTML-COMMENT", Severity.INFO, f"comment not published: {shown!r}"
            )
        )
    for line, kind in env.get("comment_problems", []):
        if kind == "block":
            message = "comment `<!--` is never closed, so it hides the rest of the section"
            hint = "end the comment with `-->`"
        else:
            message = "comment `<!--` is not closed in its paragraph: the rest would be printed"
            hint = (
                "close it before the blank line that ends the paragraph, or start a comment "
                "of several paragraphs on a line of its own"
            )
        found.append(error("COMMENT-UNCLOSED", message, file, line, hint=hint))
    return found
