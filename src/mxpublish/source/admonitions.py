"""Callouts written for other tools: GitHub's alerts (``> [!NOTE]``) and MkDocs /
Python-Markdown admonitions (``!!! warning "Title"`` with an indented body).

Real books written for GitHub, mdBook or MkDocs use them; without this they printed as a
quotation starting "[!NOTE]" or as a paragraph "!!! tip" with the body run into it. Both are
parsed by the libraries (markdown-it's ``alerts`` option, mdit-py-plugins' ``admon``) and
rendered here as the same ``<aside>`` as a ``::: note`` callout, so every edition styles and
labels them alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin

#: Which of the theme's callout styles each kind is drawn in (the label stays the author's).
_WARNING_KINDS = frozenset(
    {
        "warning",
        "caution",
        "attention",
        "danger",
        "error",
        "failure",
        "fail",
        "missing",
        "bug",
        "important",
    }
)
_SUMMARY_KINDS = frozenset(("summary", "abstract", "tldr"))


def callout_style(kind: str) -> str:
    kind = kind.lower()
    if kind in _WARNING_KINDS:
        return "warning"
    return "summary" if kind in _SUMMARY_KINDS else "note"


def callout_open(style: str, label: str) -> str:
    """The opening of a callout; ``label`` is plain text (escaped here)."""
    return f'<aside class="callout callout-{style}" role="note" aria-label="{escapeHtml(label)}">\n'


def use_admonitions(md: MarkdownIt) -> None:
    md.options["alerts"] = True
    md.use(admon_plugin)
    md.add_render_rule("alert_open", _alert_open)
    md.add_render_rule("admonition_open", _admonition_open)
    for kind in ("alert", "admonition"):
        md.add_render_rule(f"{kind}_close", _close)
        md.add_render_rule(f"{kind}_title_open", _label_open)
        md.add_render_rule(f"{kind}_title_close", _label_close)


def _alert_open(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    kind = str(tokens[idx].info)
    return callout_open(callout_style(kind), kind.capitalize())


def _admonition_open(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    token = tokens[idx]
    kind = str(token.meta.get("tag", "")) or "note"
    # A title of "" hides the label; the aside is still named for screen readers.
    return callout_open(callout_style(kind), token.content or kind.capitalize())


def _close(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    return "</aside>\n"


def _label_open(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    return '<p class="callout-label">'


def _label_close(
    self: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    return "</p>\n"
