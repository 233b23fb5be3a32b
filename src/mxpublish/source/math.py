"""TeX math: ``$…$`` inline and ``$$…$$`` display (``{#eq-x}`` after it numbers it).

Screens get MathML (latex2mathml), which EPUB reading systems and browsers lay out and read
aloud. WeasyPrint does not lay out MathML, so print gets vector SVG drawn by ziamath with the
STIX Two Math font it ships, embedded as an image whose alt text is the TeX source (the tagged
PDF stays accessible and nothing depends on a system font).
"""

from __future__ import annotations

import base64
import functools
import re
import warnings
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin

MATH_TOKENS = ("math_inline", "math_inline_double", "math_block", "math_block_eq")
_CLOSING_RE = re.compile(r"\$\$\s*(?:\{#(eq-[A-Za-z0-9_-]+)\})?\s*$")
_VIEWBOX_RE = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
#: ziamath's size for drawing; the image is then scaled in em to follow the text's size.
_DRAW_SIZE = 20.0


class MathError(ValueError):
    """TeX that latex2mathml or ziamath cannot convert."""


def math_plugin(md: MarkdownIt) -> None:
    """``$…$`` and ``$$…$$`` (dollarmath: ``$5 and $6`` stays text), labelled display math,
    and the renderers that choose MathML or SVG by medium."""
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False)
    md.block.ruler.before("math_block", "mx_math_display", _display, {"alt": ["paragraph"]})
    for name in MATH_TOKENS:
        md.add_render_rule(name, _render_math)


def _display(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """``$$`` … ``$$`` over lines, or on one line, closed by ``$$ {#eq-x}`` to label it
    (Quarto's syntax, which dollarmath's own block rule does not read)."""
    begin = state.bMarks[start] + state.tShift[start]
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[begin : state.eMarks[start]]
    if not first.startswith("$$"):
        return False
    rest = first[2:]
    closing = _CLOSING_RE.search(rest)
    if closing:  # $$ x $$ {#eq-x} on one line
        body, label, last = rest[: closing.start()], closing.group(1), start
    else:
        lines, last = [rest], start + 1
        while last < end:
            text = state.src[state.bMarks[last] + state.tShift[last] : state.eMarks[last]]
            closing = _CLOSING_RE.search(text)
            if closing:
                lines.append(text[: closing.start()])
                break
            lines.append(text)
            last += 1
        else:
            return False
        body, label = "\n".join(lines), closing.group(1)
    if not body.strip():
        return False
    if silent:
        return True
    token = state.push("math_block_eq", "math", 0)
    token.block = True
    token.content = body.strip()
    token.info = label or ""
    token.map = [start, last + 1]
    state.line = last + 1
    return True


def is_display(token: Token) -> bool:
    return token.type in ("math_block", "math_block_eq")


def prepare(token: Token, number: str | None, anchor: str | None) -> None:
    """Convert the token's TeX for both media now, so errors surface while loading; the
    renderer only prints ``meta``. Raises MathError."""
    tex = token.content.strip()
    display = is_display(token)
    token.meta = {
        **token.meta,
        "screen": mathml(tex, display),
        "print": svg_image(tex, display),
        "number": number,
        "anchor": anchor,
    }


@functools.lru_cache(maxsize=1024)
def mathml(tex: str, display: bool) -> str:
    """MathML with the TeX as ``alttext`` (what a screen reader falls back to)."""
    from latex2mathml.converter import convert

    try:
        markup = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many kinds on bad input
        raise MathError(_message("read", tex, exc)) from exc
    return markup.replace("<math ", f'<math alttext="{escapeHtml(tex)}" ', 1)


@functools.lru_cache(maxsize=1024)
def svg_image(tex: str, display: bool) -> str:
    """An ``<img>`` of the math drawn as vector SVG, sized in em and set on the baseline."""
    import ziamath

    try:
        with warnings.catch_warnings():  # ziamath finds its font with a deprecated call
            warnings.simplefilter("ignore", DeprecationWarning)
            drawing = ziamath.Latex(tex, size=_DRAW_SIZE, inline=not display)
            svg = drawing.svg()
    except Exception as exc:  # ziamath raises many kinds on bad input
        raise MathError(_message("draw", tex, exc)) from exc
    box = _VIEWBOX_RE.search(svg)
    style = ""
    if box:
        _x, y, width, height = (float(v) for v in box.groups())
        descent = height + y
        style = (
            f' style="width: {width / _DRAW_SIZE:.3f}em; height: {height / _DRAW_SIZE:.3f}em;'
            f' vertical-align: {-descent / _DRAW_SIZE:.3f}em"'
        )
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    kind = "math-display" if display else "math-inline"
    return (
        f'<img class="math {kind}" src="data:image/svg+xml;base64,{data}" '
        f'alt="{escapeHtml(tex)}"{style}/>'
    )


def _message(verb: str, tex: str, exc: Exception) -> str:
    reason = str(exc).strip()
    return f"cannot {verb} the TeX `{tex}`" + (f": {reason}" if reason else "")


def _render_math(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    token = tokens[idx]
    medium = getattr(env.get("mx"), "medium", "screen")
    math = token.meta.get("print" if medium == "print" else "screen")
    if math is None:  # not prepared (a parser used on its own): show the TeX
        math = f'<code class="tex">{escapeHtml(token.content)}</code>'
    if not is_display(token):
        return f'<span class="math">{math}</span>'
    anchor, number = token.meta.get("anchor"), token.meta.get("number")
    ident = f' id="{anchor}"' if anchor else ""
    label = f'<span class="equation-number">({number})</span>' if number else ""
    return f'<div class="equation"{ident}><span class="equation-body">{math}</span>{label}</div>\n'
