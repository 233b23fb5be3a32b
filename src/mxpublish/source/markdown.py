"""The one configured Markdown parser: CommonMark + tables, footnotes, definition lists,
attributes, callouts (and GitHub alerts, MkDocs admonitions), task lists, sub/superscript,
line blocks, figures, highlighted code and typographic quotes, rendered to an
XHTML-compatible fragment."""

from __future__ import annotations

import functools
import hashlib
import pickle
import re
import weakref
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.replacements import EM_DASH_RE, EN_DASH_INDENT_RE, EN_DASH_RE
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

from mxpublish.source.admonitions import callout_open, use_admonitions
from mxpublish.source.citations import citations_plugin
from mxpublish.source.comments import use_comments
from mxpublish.source.constructs import use_constructs
from mxpublish.source.foreign import use_foreign
from mxpublish.source.headings import use_headings
from mxpublish.source.highlight import highlight_code
from mxpublish.source.links import use_links
from mxpublish.source.math import math_plugin
from mxpublish.source.sanitize import MARKDOWN_ATTRIBUTES, SanitizingRenderer

#: Fenced ``::: name`` containers and the label a reader (or screen reader) sees for each.
CALLOUTS = {"note": "Note", "warning": "Warning", "summary": "Key points"}
#: markdown-it's depth limit for nested blocks (a list level counts two); text nested deeper
#: would be dropped by the parser, so source.py reports it as an error instead.
MAX_NESTING = 40


@functools.lru_cache(maxsize=4)
def create_parser(*, allow_html: bool = False) -> MarkdownIt:
    """Build the parser every section goes through.

    Raw HTML is escaped unless ``allow_html``, and then cleaned by nh3 (sanitize.py);
    ``xhtmlOut`` keeps void elements self-closed so the fragment is valid inside EPUB XHTML
    as well as HTML. One parser per configuration serves every build of the process (so
    watch and serve re-parse only the sections that changed; see source.py).
    """
    md = MarkdownIt(
        "commonmark",
        {
            "typographer": True,
            "html": allow_html,
            "xhtmlOut": True,
            "maxNesting": MAX_NESTING,
            "highlight": highlight_code,
        },
        renderer_cls=SanitizingRenderer if allow_html else RendererHTML,
    )
    md.enable(["table", "strikethrough", "smartquotes"])
    md.core.ruler.before("smartquotes", "dashes", _dashes_and_ellipses)
    md.use(front_matter_plugin)
    md.use(footnote_plugin)
    md.core.ruler.before("footnote_tail", "footnote_audit", _footnote_audit)
    md.use(deflist_plugin)
    md.use(attrs_plugin, allowed=MARKDOWN_ATTRIBUTES, spans=True)
    md.use(attrs_block_plugin, allowed=MARKDOWN_ATTRIBUTES)
    md.use(tasklists_plugin)
    md.use(sub_plugin)
    md.use(superscript_plugin)
    for name, label in CALLOUTS.items():
        md.use(container_plugin, name, render=_callout_renderer(name, label))
    use_admonitions(md)
    md.use(container_plugin, "lines", render=_line_block_renderer)
    use_constructs(md)
    use_comments(md)
    use_headings(md)
    use_links(md)
    md.use(citations_plugin)
    use_foreign(md)
    md.use(math_plugin)
    md.add_render_rule("code_block", _indented_code)
    return md


def _indented_code(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    """An indented code block gets the same shape as a fenced one without a language."""
    return highlight_code(tokens[idx].content, "") + "\n"


#: Three dots, not two or four (those are the author's).
_ELLIPSIS_RE = re.compile(r"(?<!\.)\.\.\.(?!\.)")


def _dashes_and_ellipses(state: StateCore) -> None:
    """``--``, ``---`` and ``...`` become –, — and …, with markdown-it's dash patterns.

    Its ``replacements`` rule (not enabled) also rewrites the author's words: "(c) the town"
    became "© the town", ``+-`` ±, ``(tm)`` ™, ``,,`` a comma and ``!!!!`` three marks."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        autolink = 0
        for child in token.children:
            if child.type == "link_open" and child.info == "auto":
                autolink += 1
            elif child.type == "link_close" and child.info == "auto":
                autolink -= 1
            elif child.type == "text" and not autolink:
                text = child.content
                if "--" in text:
                    text = EM_DASH_RE.sub("\\1\u2014", text)
                    text = EN_DASH_INDENT_RE.sub("\\1\u2013", EN_DASH_RE.sub("\\1\u2013", text))
                if "..." in text:
                    text = _ELLIPSIS_RE.sub("\u2026", text)
                child.content = text


def _line_block_renderer(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    return '<div class="line-block">\n' if tokens[idx].nesting == 1 else "</div>\n"


def _footnote_audit(state: StateCore) -> None:
    """Note in ``env["footnote_problems"]`` what markdown-it-footnote drops without a word: a
    label defined twice (the last definition wins) and definitions that are never referenced.
    Each entry is ``(kind, label, line, first_line)`` with 1-based lines."""
    defined: dict[str, int | None] = {}
    problems = state.env.setdefault("footnote_problems", [])
    for token in state.tokens:
        if token.type == "footnote_reference_open":
            label = str(token.meta["label"])
            line = token.map[0] + 1 if token.map else None
            if label in defined:
                problems.append(("duplicate", label, line, defined[label]))
            else:
                defined[label] = line
    referenced = {
        str(child.meta.get("label"))
        for token in state.tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "footnote_ref"
    }
    for label, line in defined.items():
        if label not in referenced:
            problems.append(("unused", label, line, None))


def _callout_renderer(name: str, label: str) -> Any:
    def render(
        self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
    ) -> str:
        if tokens[idx].nesting == 1:
            return callout_open(name, label) + f'<p class="callout-label">{label}</p>\n'
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


#: Per parser, the pickled tokens of texts it has parsed (up to _MEMO_ENTRIES texts of at most
#: _MEMO_BYTES): unpickling is about 4× faster than parsing and yields fresh tokens to mutate.
_PARSED: weakref.WeakKeyDictionary[MarkdownIt, dict[bytes, bytes]] = weakref.WeakKeyDictionary()


_MEMO_ENTRIES = 4096


_MEMO_BYTES = 1_000_000


def parse_memoized(md: MarkdownIt, text: str) -> tuple[list[Token], dict[str, Any]]:
    """markdown-it's tokens (and env) for ``text``: a section this parser has seen before, in
    an earlier build of the same process (watch, serve), is not parsed again."""
    memo = _PARSED.setdefault(md, {})
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    blob = memo.get(key)
    if blob is not None:
        memoized: tuple[list[Token], dict[str, Any]] = pickle.loads(blob)
        return memoized
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    if len(text) <= _MEMO_BYTES:
        if len(memo) >= _MEMO_ENTRIES:
            memo.pop(next(iter(memo)))
        blob = memo[key] = pickle.dumps((tokens, env), protocol=pickle.HIGHEST_PROTOCOL)
        # The copy, not the parser's objects: a plugin that shares one string between two
        # tokens (mdit-py-plugins' admon) pickles differently before and after a round trip,
        # and the rendered-section memo is keyed by the tokens' pickled digest.
        copied: tuple[list[Token], dict[str, Any]] = pickle.loads(blob)
        return copied
    return tokens, env
