"""Markdown written for other tools (Pandoc, Quarto, mdBook, GitHub): what of it we can set
is set, what we cannot is named, never printed as if it were the author's text unawares.

- Pandoc/Quarto fenced divs ``::: {.class}``, ``::: Warning``, ``::: {.callout-tip
  title="…"}``: a callout kind becomes a callout, any other div keeps its content (the
  fences go; the classes stay on a ``<div>`` for ``styles/custom.css``).
- Pandoc raw blocks and spans (```` ```{=latex} ````, `` `x`{=html} ``) are for another
  output format: left out, as Pandoc does for formats it is not writing, with a warning.
- What prints as written, with a MARKUP-UNSUPPORTED warning: a table row with more cells
  than its header (markdown-it drops the rest, as GitHub does), Pandoc grid and simple
  tables, mdBook ``{{#include …}}`` directives, reference links with no definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import escapedSplit
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.container import container_plugin

from mxpublish.errors import Diagnostic, warning
from mxpublish.source.admonitions import callout_open, callout_style

CODE = "MARKUP-UNSUPPORTED"
#: Containers with a name of their own (markdown.py, citations.py): not generic divs.
NAMED_CONTAINERS = frozenset(("note", "warning", "summary", "lines", "references"))
#: Callout kinds a div's class or name can ask for, with the label a reader sees.
_CALLOUT_LABELS = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "danger": "Danger",
    "summary": "Key points",
}
_CLASS_RE = re.compile(r"(?<![\w-])\.([A-Za-z][\w-]*)")
_TITLE_RE = re.compile(r'\btitle="([^"]*)"')
_RAW_RE = re.compile(r"^\{=([A-Za-z][\w-]*)\}")
_DIRECTIVE_RE = re.compile(r"\{\{#(include|rustdoc_include|playground|title)\b[^}]*\}\}")
_GRID_RE = re.compile(r"^\s*\+[-=:+]*[-=]{3,}[-=:+]*\+\s*$")
_SIMPLE_RULE_RE = re.compile(r"^\s*-{3,}(?:[ \t]+-{3,})+\s*$")
_REFERENCE_RE = re.compile(r"\[[^\[\]\n]+\]\[[^\[\]\n]*\]")
_QUOTE_PREFIX_RE = re.compile(r"^(?:\s*>)+")
RAW_KEY = "raw_dropped"


def use_foreign(md: MarkdownIt) -> None:
    md.use(container_plugin, "div", validate=_is_generic_div, render=_render_div)
    rule = next(r for r in md.block.ruler.__rules__ if r.name == "container_div")
    md.block.ruler.at("container_div", _closed_only(rule.fn), {"alt": rule.alt})
    md.core.ruler.after("inline", "raw_formats", _drop_raw_formats)


def _closed_only(container: Any) -> Any:
    """A generic div only where a closing ``:::`` follows, as in Pandoc: mkdocstrings writes
    ``::: package.module`` lines that never close, and each would open a div inside the
    last (markdown-it closes them all at the end), nesting past the parser's limit."""

    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        # The container's own test first (cheap: a ``:::`` line with a name): this rule is
        # tried at the start of every block, and the scan for a closing fence reads on.
        if not container(state, start, end, True) or not _closes(state, start, end):
            return False
        return bool(container(state, start, end, silent))

    return rule


def _closes(state: StateBlock, start: int, end: int) -> bool:
    def fence(line: int) -> tuple[int, str]:
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        count = len(text) - len(text.lstrip(":"))
        return count, text[count:].strip()

    opening, _ = fence(start)
    depth = 0
    for line in range(start + 1, end):
        count, rest = fence(line)
        if count < 3:
            continue
        if rest:
            depth += 1
        elif depth:
            depth -= 1
        elif count >= opening:
            return True
    return False


def _is_generic_div(params: str, *_args: Any) -> bool:
    words = params.strip().split()
    return bool(words) and words[0] not in NAMED_CONTAINERS


def _callout_of(params: str) -> tuple[str, str] | None:
    """(style, label) when a div asks for a callout by its name or a class."""
    params = params.strip()
    names = _CLASS_RE.findall(params) if params.startswith("{") else params.split()[:1]
    for name in names:
        kind = name.lower().removeprefix("callout-")
        if kind in _CALLOUT_LABELS:
            title = _TITLE_RE.search(params)
            return callout_style(kind), title.group(1) if title else _CALLOUT_LABELS[kind]
    return None


def _render_div(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    token = tokens[idx]
    if token.nesting == 1:
        callout = _callout_of(token.info)
        token.meta["callout"] = callout is not None
        if callout is not None:
            style, label = callout
            return (
                callout_open(style, label) + f'<p class="callout-label">{escapeHtml(label)}</p>\n'
            )
        params = token.info.strip()
        classes = _CLASS_RE.findall(params) if params.startswith("{") else params.split()[:1]
        names = " ".join(c for c in classes if re.fullmatch(r"[A-Za-z][\w-]*", c))
        return f'<div class="fenced-div {names}">\n' if names else '<div class="fenced-div">\n'
    opening = next(
        t
        for t in reversed(tokens[:idx])
        if t.type == "container_div_open" and t.level == token.level
    )
    return "</aside>\n" if opening.meta.get("callout") else "</div>\n"


def _drop_raw_formats(state: StateCore) -> None:
    """Take out Pandoc raw blocks and spans for other formats, noting their lines."""
    dropped = state.env.setdefault(RAW_KEY, [])
    kept = []
    for token in state.tokens:
        raw = _RAW_RE.match(token.info.strip()) if token.type == "fence" else None
        if raw:
            dropped.append((token.map[0] + 1 if token.map else None, raw.group(1), "block"))
            continue
        if token.type == "inline" and token.children:
            token.children = list(_without_raw_spans(token, dropped))
        kept.append(token)
    state.tokens[:] = kept


def _without_raw_spans(token: Token, dropped: list[Any]) -> Iterator[Token]:
    children = token.children or []
    skip = False
    for index, child in enumerate(children):
        if skip:
            skip = False
            text = _RAW_RE.sub("", child.content, count=1)
            if text:
                child.content = text
                yield child
            continue
        following = children[index + 1] if index + 1 < len(children) else None
        if (
            child.type == "code_inline"
            and following is not None
            and following.type == "text"
            and _RAW_RE.match(following.content)
        ):
            raw = _RAW_RE.match(following.content)
            assert raw is not None
            dropped.append((token.map[0] + 1 if token.map else None, raw.group(1), "span"))
            skip = True
            continue
        yield child


def foreign_diagnostics(
    tokens: Sequence[Token], env: EnvType, lines: Sequence[str], file: str
) -> list[Diagnostic]:
    """A MARKUP-UNSUPPORTED warning for each thing written for another tool that prints as
    written or is left out; ``lines`` are the file's lines (token maps count from them)."""
    found = [
        warning(
            CODE,
            f"raw {fmt} {kind} (`{{={fmt}}}`) is for another output format and is left out",
            file,
            line,
            hint="write it in Markdown to print it in every edition",
        )
        for line, fmt, kind in env.get(RAW_KEY, [])
    ]
    for index, token in enumerate(tokens):
        line = token.map[0] + 1 if token.map else None
        if token.type == "table_open" and token.map:
            found.extend(_extra_cells(token.map, lines, file))
        elif token.type in ("fence", "code_block"):
            for match in _DIRECTIVE_RE.finditer(token.content):
                found.append(_directive(match, file, line))
        elif token.type == "hr" and token.map and _SIMPLE_RULE_RE.match(lines[token.map[0]]):
            found.append(_table_kind("a Pandoc simple table", file, line))
        elif token.type == "inline" and index and tokens[index - 1].type == "paragraph_open":
            first = token.content.split("\n", 1)[0]
            if _GRID_RE.match(first):
                found.append(_table_kind("a Pandoc grid table", file, line))
            elif first.startswith(":::"):
                found.append(
                    warning(
                        CODE,
                        f"`{first.strip()}` opens no block here: the line prints as written",
                        file,
                        line,
                        hint="put a space and a name or {.class} after ::: and close it with :::",
                    )
                )
            found.extend(_directive(m, file, line) for m in _DIRECTIVE_RE.finditer(token.content))
            found.extend(_undefined_references(token, file, line))
    return found


def _extra_cells(span: list[int], lines: Sequence[str], file: str) -> Iterator[Diagnostic]:
    """Rows with more cells than the header: markdown-it (like GitHub) drops the rest."""
    start, end = span
    header = _cells(lines[start])
    for number in range(start + 2, min(end, len(lines))):
        cells = _cells(lines[number])
        if len(cells) > len(header):
            lost = " | ".join(cell.strip() for cell in cells[len(header) :])
            yield warning(
                CODE,
                f"table row has {len(cells)} cells but the header {len(header)}: "
                f"“{lost}” is not printed",
                file,
                number + 1,
                hint="write a | inside a cell (even in `code`) as \\|, or add a header column",
            )


def _cells(line: str) -> list[str]:
    """The cells of a table line as markdown-it's table rule splits them."""
    text = _QUOTE_PREFIX_RE.sub("", line).strip()
    cells = escapedSplit(text)
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return cells


def _directive(match: re.Match[str], file: str, line: int | None) -> Diagnostic:
    return warning(
        CODE,
        f"mdBook directive `{match.group(0)}` is not expanded: it prints as written",
        file,
        line,
        hint="paste the text it names into the section (mxpublish reads no other files)",
    )


def _table_kind(kind: str, file: str, line: int | None) -> Diagnostic:
    return warning(
        CODE,
        f"{kind} is not supported: its lines print as text",
        file,
        line,
        hint="rewrite it as a pipe table (| a | b | with a |---|---| line)",
    )


def _undefined_references(token: Token, file: str, line: int | None) -> Iterator[Diagnostic]:
    for child in token.children or []:
        if child.type == "text":
            for match in _REFERENCE_RE.finditer(child.content):
                yield warning(
                    CODE,
                    f"reference link {match.group(0)} has no definition: it prints as written",
                    file,
                    line,
                    hint="define it in this section: [label]: https://… or [label]: 02-x.md#id",
                )
