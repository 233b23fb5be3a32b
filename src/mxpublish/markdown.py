"""The one configured Markdown parser: CommonMark + tables, footnotes, definition lists,
attributes, callouts, task lists, sub/superscript, line blocks, figures, highlighted code and
typographic quotes, rendered to an XHTML-compatible fragment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from mxpublish.constructs import use_constructs
from mxpublish.highlight import highlight_code

#: Fenced ``::: name`` containers and the label a reader (or screen reader) sees for each.
CALLOUTS = {"note": "Note", "warning": "Warning", "summary": "Key points"}


def create_parser(*, allow_html: bool = False) -> MarkdownIt:
    """Build the parser every section goes through.

    Raw HTML is escaped unless ``allow_html``; ``xhtmlOut`` keeps void elements self-closed so
    the fragment is valid inside EPUB XHTML as well as HTML.
    """
    md = MarkdownIt(
        "commonmark",
        {"typographer": True, "html": allow_html, "xhtmlOut": True, "highlight": highlight_code},
    )
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(front_matter_plugin)
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    md.use(attrs_plugin)
    md.use(attrs_block_plugin)
    md.use(tasklists_plugin)
    md.use(sub_plugin)
    md.use(superscript_plugin)
    for name, label in CALLOUTS.items():
        md.use(container_plugin, name, render=_callout_renderer(name, label))
    md.use(container_plugin, "lines", render=_line_block_renderer)
    use_constructs(md)
    return md


def _line_block_renderer(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    return '<div class="line-block">\n' if tokens[idx].nesting == 1 else "</div>\n"


def _callout_renderer(name: str, label: str) -> Any:
    def render(
        self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
    ) -> str:
        if tokens[idx].nesting == 1:
            return (
                f'<aside class="callout callout-{name}" role="note" aria-label="{label}">\n'
                f'<p class="callout-label">{label}</p>\n'
            )
        return "</aside>\n"

    return render


def typeset(md: MarkdownIt, text: str) -> str:
    """Plain text with the parser's typography applied (curly quotes, dashes), for titles and
    metadata that bypass the block parser; inline markup characters are dropped."""
    tokens = md.parseInline(text)
    return inline_text(tokens[0]) if tokens else text


def inline_text(token: Token) -> str:
    """The plain text of an inline token (typographic quotes applied, markup dropped)."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)
