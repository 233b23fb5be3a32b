"""Raw HTML in Markdown made safe and valid XHTML (nh3), and ``{attrs}`` kept to an allowlist.

Raw HTML is only rendered when a publication sets ``allow_html: true``; even then it goes
through nh3 (the Ammonia sanitizer): scripts, styles, event handlers, ``javascript:`` URLs,
iframes, objects, embeds and forms are removed, and what remains is re-serialized as XHTML so
the EPUB stays valid.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import nh3
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from mxpublish.errors import Diagnostic, error
from mxpublish.model import ID_RE, LANGUAGE_RE

# fmt: off
#: Elements allowed in raw HTML written inside a paragraph (phrasing content only, so the
#: paragraph markdown wraps around them stays valid).
INLINE_TAGS = frozenset([
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd",
    "mark", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "sup",
    "time", "u", "var", "wbr",
])
#: Elements allowed in raw HTML blocks: the inline ones plus flow content.
BLOCK_TAGS = INLINE_TAGS | frozenset([
    "blockquote", "caption", "col", "colgroup", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
])
# fmt: on
_ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "img": {"src", "alt"},
}
_VOID = frozenset({"br", "wbr", "hr", "img", "col"})
_NUMBER_RE = re.compile(r"^[1-9][0-9]{0,3}$")
#: Placeholders for the Markdown-rendered parts of a paragraph while its raw HTML is cleaned.
#: U+FDD0/U+FDD1 are noncharacters, refused in source text, so they cannot collide with it.
_HOLE = "\ufdd0{}\ufdd1"
_HOLE_RE = re.compile("\ufdd0([0-9]+)\ufdd1")

#: What ``{attrs}`` may set on Markdown elements: nothing that runs code or fetches anything.
MARKDOWN_ATTRIBUTES = frozenset({"id", "class", "lang", "dir", "title"})


@dataclass(frozen=True)
class RawImage:
    """An ``<img>`` met in raw HTML; ``line`` is 1-based in the section file."""

    src: str
    line: int | None


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    """Keep only values that are valid XHTML and fetch nothing (nh3 already checks URLs)."""
    if attr == "href":
        return value if re.match(r"^(https?:|mailto:)", value, re.IGNORECASE) else None
    if attr == "lang":
        return value if LANGUAGE_RE.match(value) else None
    if attr == "dir":
        return value if value in ("ltr", "rtl", "auto") else None
    if attr in ("colspan", "rowspan", "start"):
        return value if _NUMBER_RE.match(value) else None
    if attr == "scope":
        return value if value in ("row", "col", "rowgroup", "colgroup") else None
    if attr == "reversed":
        return "reversed"
    return value


def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(tags) | {"img"},
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


class _XhtmlWriter(HTMLParser):
    """Re-serializes nh3's HTML (balanced, already clean) as XHTML and notes every ``<img>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.images: list[str] = []

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], close: bool) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
            return
        text = "".join(f' {k}="{html.escape(v or k, quote=True)}"' for k, v in attrs)
        self.out.append(f"<{tag}{text}{' /' if close else ''}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, tag in _VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, True)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


class SanitizingRenderer(RendererHTML):
    """markdown-it renderer for ``allow_html``: raw HTML blocks and the raw tags of each
    paragraph are cleaned by nh3; the Markdown around them is rendered as usual.

    Images in raw HTML are taken out and listed in ``env["raw_images"]`` so that the caller
    can report them (they would bypass the checks and packaging of Markdown images).
    """

    def __init__(self, parser: Any = None):
        super().__init__(parser)
        self._inline = _cleaner(INLINE_TAGS)
        self._block = _cleaner(BLOCK_TAGS)

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        # render() is re-entered for the body of a note set at its call (print): each call
        # keeps the outer one's lines and puts them back when it returns.
        outer = env.get("_lines")
        lines = dict(outer or {})
        lines.update({id(t.children): t.map[0] + 1 for t in tokens if t.children and t.map})
        env["_lines"] = lines
        try:
            return super().render(tokens, options, env)
        finally:
            if outer is None:
                env.pop("_lines", None)
            else:
                env["_lines"] = outer

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        if not any(t.type == "html_inline" for t in tokens):
            return super().renderInline(tokens, options, env)
        holes: list[str] = []
        parts: list[str] = []
        for index, token in enumerate(tokens):
            if token.type == "html_inline":
                parts.append(token.content)
            else:
                holes.append(super().renderInline(tokens[index : index + 1], options, env))
                parts.append(_HOLE.format(len(holes) - 1))
        line = env.get("_lines", {}).get(id(tokens))
        clean = self._clean(self._inline, "".join(parts), line, env)
        return _HOLE_RE.sub(lambda m: holes[int(m.group(1))], clean)

    def html_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        line = token.map[0] + 1 if token.map else None
        return self._clean(self._block, token.content, line, env) + "\n"

    def _clean(self, cleaner: nh3.Cleaner, raw: str, line: int | None, env: EnvType) -> str:
        writer = _XhtmlWriter()
        writer.feed(cleaner.clean(raw))
        writer.close()
        env.setdefault("raw_images", []).extend(RawImage(src, line) for src in writer.images)
        return "".join(writer.out)


def check_attributes(tokens: Sequence[Token], file: str) -> list[Diagnostic]:
    """Attributes written with ``{...}`` that the attrs plugin refused (``onclick``,
    ``style``, ``href``…: it moves them to ``meta["insecure_attrs"]``), ids that are not
    valid XML names and bad ``lang``/``dir`` values, each with its line."""
    problems: list[Diagnostic] = []
    line: int | None = None
    for block in tokens:
        line = block.map[0] + 1 if block.map else line
        for token in [block, *(block.children or [])]:
            refused = (token.meta or {}).get("insecure_attrs") or {}
            found = [f"attribute `{name}` is not allowed" for name in refused]
            value = str(token.attrs.get("id", "a"))
            if not ID_RE.match(value):
                found.append(
                    f"id `{value}` must start with a letter and hold only letters, digits, - and _"
                )
            value = str(token.attrs.get("lang", "en"))
            if not LANGUAGE_RE.match(value):
                found.append(f"`lang={value}` is not a language tag such as en-US")
            value = str(token.attrs.get("dir", "ltr"))
            if value not in ("ltr", "rtl", "auto"):
                found.append(f"`dir={value}` must be ltr, rtl or auto")
            problems.extend(
                error(
                    "MARKDOWN-ATTRIBUTE",
                    problem,
                    file,
                    line,
                    hint="{...} may set only " + ", ".join(sorted(MARKDOWN_ATTRIBUTES)),
                )
                for problem in found
            )
    return problems
