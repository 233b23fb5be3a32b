"""Links between sections resolved to final ids; a stale one is a warning, never a dead link.

A link to another section (``02-history.md``), an anchor (``#x``, ``02-history.md#x``) or any
other relative address is checked against the publication. One that leads nowhere is reported
as a LINK-BROKEN warning with its file, line and the closest anchor there is, and printed as
plain text (its words kept, the link dropped) so no edition holds a dead link; ``build
--release`` and ``check --release``/``--strict`` refuse it (see check.py).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from mxpublish.errors import Diagnostic, warning

_MD_LINK_RE = re.compile(r"^(?P<file>[^/:#?]+\.md)?(?:#(?P<anchor>.*))?$")
#: An address with a scheme (``https:``, ``mailto:``…) is not the publication's to check.
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
DROPPED = "link_dropped"


def use_links(md: MarkdownIt) -> None:
    """Render a dropped link's text only."""
    md.add_render_rule(f"{DROPPED}_open", _render_nothing)
    md.add_render_rule(f"{DROPPED}_close", _render_nothing)


def _render_nothing(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return ""


def resolve_links(
    drafts: Sequence[Any], unchecked: frozenset[str] = frozenset()
) -> list[Diagnostic]:
    """Point every internal link at its final ``#id``; return a warning per broken one.

    ``drafts`` have ``name``, ``file``, ``id``, ``anchors``, ``tokens`` and ``lines``; links to
    the files in ``unchecked`` (sections that failed to parse) are left alone.
    """
    problems: list[Diagnostic] = []
    by_name = {d.name: d for d in drafts}
    for draft in drafts:
        line, col = 1, None
        for token in draft.tokens:
            if token.map:
                line = token.map[0] + 1
            found: tuple[int, int] | None = None  # the last link located in this token
            children = token.children or []
            for index, child in enumerate(children):
                if child.type != "link_open":
                    continue
                href = str(child.attrs.get("href", ""))
                if href == "" or _SCHEME_RE.match(href) or href.startswith("//"):
                    continue
                if token.map:  # where the target is written, when it is on one line
                    line, col = locate(draft.lines, token.map, f"]({href}", found)
                    found = (line, col) if col else found
                    col = col + 2 if col else None
                problem = _resolve(child, href, draft, by_name, unchecked)
                if problem is None:
                    continue
                message, hint = problem
                _drop(children, index)
                problems.append(
                    warning(
                        "LINK-BROKEN",
                        f"{message}; printed as plain text",
                        draft.file,
                        line,
                        col,
                        hint=hint,
                    )
                )
    return problems


def _resolve(
    link: Token, href: str, draft: Any, by_name: dict[str, Any], unchecked: frozenset[str]
) -> tuple[str, str | None] | None:
    """Set ``link``'s href to its target's final id; or say why there is none (and a hint)."""
    match = _MD_LINK_RE.match(href)
    if not match:
        names = _closest_files(href.rsplit("/", 1)[-1].split("#")[0], by_name)
        hint = f"did you mean {names[0]}?" if names else "link to a section file (NN-name.md)"
        return f"link to {href!r}: not a section of this publication", hint
    name, anchor = match.group("file"), match.group("anchor")
    target = by_name.get(name or draft.name)
    if target is None:
        if name in unchecked:
            return None
        names = _closest_files(str(name), by_name)
        return f"link to {href!r}: no such section", f"did you mean {names[0]}?" if names else None
    if not anchor or anchor == target.id:
        final = target.id
    elif anchor in target.anchors:
        final = target.anchors[anchor]
    else:
        elsewhere = [
            d.name for d in by_name.values() if d is not target and anchor in {d.id, *d.anchors}
        ]
        if name is None and elsewhere:
            found = f"#{anchor} is in {elsewhere[0]}: write {elsewhere[0]}#{anchor}"
            return f"link to {href!r}: no heading with that anchor in {target.file}", found
        return (
            f"link to {href!r}: no heading with that anchor in {target.file}",
            _closest(anchor, target),
        )
    link.attrSet("href", f"#{final}")
    link.attrJoin("class", "xref")
    return None


_NUMBER_RE = re.compile(r"^\d+[-_]")


def _closest_files(name: str, by_name: dict[str, Any]) -> list[str]:
    """Section files like ``name``, compared without their order numbers (a link written for
    mdBook names ``general.md`` for ``03-general.md``) and then as written."""
    bare = {_NUMBER_RE.sub("", n): n for n in sorted(by_name)}
    wanted = _NUMBER_RE.sub("", name.removesuffix(".html").removesuffix(".md")) + ".md"
    if wanted in bare:
        return [bare[wanted]]
    ending = [full for short, full in bare.items() if short.endswith("-" + wanted)]
    if ending:
        return ending[:1]
    stems = {short.removesuffix(".md"): full for short, full in bare.items()}
    close = difflib.get_close_matches(wanted.removesuffix(".md"), sorted(stems), n=1, cutoff=0.6)
    return [stems[close[0]]] if close else []


def _closest(anchor: str, target: Any) -> str | None:
    names = sorted(set(target.anchors) | {target.id})
    close = difflib.get_close_matches(anchor, names, n=1, cutoff=0.0)
    return f"did you mean #{close[0]}?" if close else None


def _drop(children: list[Token], index: int) -> None:
    """Turn the link opening at ``children[index]`` and its closing into plain text."""
    depth = 0
    children[index].type = f"{DROPPED}_open"
    for child in children[index + 1 :]:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            if depth == 0:
                child.type = f"{DROPPED}_close"
                return
            depth -= 1


def locate(
    lines: tuple[str, ...],
    span: list[int],
    needle: str,
    after: tuple[int, int] | None = None,
) -> tuple[int, int | None]:
    """1-based line and column of ``needle`` within the lines ``span`` covers, after the
    position ``after`` (a link already located: the same link written twice is two places);
    its first line and no column when the needle is not written as is (across a line break)."""
    for number in range(span[0], min(span[1], len(lines))):
        start = 0
        if after is not None:
            if number + 1 < after[0]:
                continue
            start = after[1] if number + 1 == after[0] else 0
        col = lines[number].find(needle, start)
        if col >= 0:
            return number + 1, col + 1
    return span[0] + 1, None
