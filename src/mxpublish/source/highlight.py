"""Fenced code → highlighted HTML with Pygments: short token classes that the theme's
``code.css`` colours, the same markup in every edition."""

from __future__ import annotations

from markdown_it.common.utils import escapeHtml
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# nowrap: we write the <pre><code> ourselves so that every block has one shape.
_FORMATTER = HtmlFormatter(nowrap=True)


def highlight_code(code: str, language: str, _attrs: str = "") -> str:
    """A complete ``<pre class="code highlight"><code>…</code></pre>`` for one fenced block.

    An unknown or missing language gives the same block, escaped and uncoloured, so that a
    typo in the info string never fails a build. The text is never altered: only wrapped.
    """
    body = escapeHtml(code)
    label = ""
    if language:
        label = f' class="language-{escapeHtml(language)}"'
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
        except ClassNotFound:
            lexer = None
        if lexer is not None:
            body = highlight(code, lexer, _FORMATTER)
    return f'<pre class="code highlight"><code{label}>{body}</code></pre>'
