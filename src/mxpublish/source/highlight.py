"""Fenced code → highlighted HTML with Pygments: short token classes that the theme's
``code.css`` colours, the same markup in every edition."""

from __future__ import annotations

import re

from markdown_it.common.utils import escapeHtml
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# nowrap: we write the <pre><code> ourselves so that every block has one shape.
_FORMATTER = HtmlFormatter(nowrap=True)
#: Info strings of terminal sessions (prompts and output) and of program output.
CONSOLE = frozenset({"console", "shell-session", "sh-session", "terminal", "doscon", "ps1con"})
OUTPUT = frozenset({"output", "text", "txt", "plain", "plaintext"})
#: Token classes that code.css colours (by first letter: keywords, strings, comments, numbers;
#: or by name). Others (names, punctuation, operators, whitespace) are set as plain text: in
#: a book of code they are most of the spans, and every element costs the print layout memory.
_STYLED_PREFIXES = ("k", "s", "c", "m")
_STYLED = frozenset(
    [
        "nb",
        "bp",
        "nf",
        "fm",
        "nc",
        "nn",
        "nd",
        "ne",
        "nt",
        "na",
        "nv",
        "vi",
        "vc",
        "vg",
        "il",
        "ow",
        "gd",
        "gi",
        "gh",
        "gu",
        "ge",
        "gs",
        "gp",
        "go",
        "err",
    ]
)
_TOKEN_RE = re.compile(r'<span class="([\w-]+)">([^<]*)</span>')


def _plain_unstyled(match: re.Match[str]) -> str:
    token = match.group(1)
    return (
        match.group(0) if token.startswith(_STYLED_PREFIXES) or token in _STYLED else match.group(2)
    )


_INFO_SPLIT_RE = re.compile(r"[\s,{}=]+")


def language_name(info: str) -> str:
    """The language in a fence's info string as other tools write it: mdBook's
    ``rust,ignore``, Pandoc's ``{.python}`` (or ``{#id .python .numberLines}``) and R
    Markdown's ``{r eval=FALSE}`` name their language; the rest are build flags no edition
    prints."""
    words = [word for word in _INFO_SPLIT_RE.split(info.strip()) if word]
    if info.strip().startswith("{"):  # Pandoc attributes: the first class; an #id is no language
        words = [word for word in words if word.startswith(".")] or words[:1]
    return words[0].lstrip(".") if words and not words[0].startswith("#") else ""


def highlight_code(code: str, language: str, _attrs: str = "") -> str:
    """A complete ``<pre class="code highlight"><code>…</code></pre>`` for one code block,
    each source line in its own ``<span class="line">`` so that a line too long for the
    page can wrap with a continuation mark; ``console``/``output`` in the class for
    terminal sessions and program output.

    An unknown or missing language gives the same block, escaped and uncoloured, so that a
    typo in the info string never fails a build. The text is never altered: only wrapped
    (Pygments closes its spans at each newline, so splitting at newlines keeps tags whole).
    """
    body = escapeHtml(code)
    label = ""
    kind = ""
    language = language_name(language)
    if language:
        label = f' class="language-{escapeHtml(language)}"'
        lowered = language.lower()
        kind = " console" if lowered in CONSOLE else " output" if lowered in OUTPUT else ""
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
        except ClassNotFound:
            lexer = None
        if lexer is not None:
            body = _TOKEN_RE.sub(_plain_unstyled, highlight(code, lexer, _FORMATTER))
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    spans = "".join(f'<span class="line">{line}\n</span>' for line in lines)
    return f'<pre class="code highlight{kind}"><code{label}>{spans}</code></pre>'
