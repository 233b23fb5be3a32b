"""Heading ids as GitHub and mdBook make them, and every older name kept as an alias.

The rule (documented in README): a heading's text as written, lower-cased; letters, digits,
``-`` and ``_`` are kept, white space becomes ``-``, everything else is dropped; a repeat in the
same section gets ``-1``, ``-2``… So ``## Concatenating with + or format!`` is
``#concatenating-with--or-format`` and ``## Arc<T>`` (in code) is ``#arct``. An explicit
``{#id}`` wins. Ids must also be unique across the publication (print sets it as one
document), so a name another section already uses gets a further ``-2``, ``-3``; links are
resolved per file, so ``other.md#name`` still finds it.

Aliases, for links written before: the slug of the earlier rule (ASCII words joined by ``-``)
and legacy ``<a id="x"></a>`` (or ``<span id="x"></span>``) anchors, which render as nothing
and name the heading that follows them (or, in running text, the one before). Aliases only
steer links: they put no second id in any edition, so the EPUB keeps one id per element.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it.token import Token

from mxpublish.errors import Diagnostic, error
from mxpublish.model import Heading
from mxpublish.source.markdown import inline_text
from mxpublish.source.metadata import slugify

_SAFE_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def github_slug(text: str) -> str:
    """GitHub's (and mdBook's) anchor for a heading whose plain text is ``text``."""
    kept = []
    for char in text.lower():
        if char.isalnum() or char in "-_":
            kept.append(char)
        elif char.isspace():
            kept.append("-")
    return "".join(kept)


def assign_ids(drafts: Sequence[Any]) -> list[Diagnostic]:
    """Give sections, headings, figures and tables ids unique across the publication, and
    fill each draft's ``anchors`` (name as a link may write it → final id), aliases last."""
    problems: list[Diagnostic] = []
    used: dict[str, str] = {}
    for draft in drafts:
        explicit = draft.front.get("id")
        stem = draft.name.split("-", 1)[1].removesuffix(".md")
        section_id = str(explicit) if explicit else xml_id(slugify(stem))
        if section_id in used:
            problems.append(
                error(
                    "SECTION-ID-DUPLICATE",
                    f"section id {section_id!r} is also used by {used[section_id]}",
                    draft.file,
                    hint="set a different `id` in the front matter",
                )
            )
        used[section_id] = draft.file
        draft.id = section_id
    for draft in drafts:
        _assign_in_section(draft, used)
    return problems


def _assign_in_section(draft: Any, used: dict[str, str]) -> None:
    tokens: list[Token] = draft.tokens
    seen: dict[str, int] = {}  # GitHub's counter of names in this section
    aliases: list[tuple[str, str]] = []
    pending: list[str] = []  # legacy anchors waiting for the next heading
    previous = draft.id
    for index, token in enumerate(tokens):
        if token.type in ("figure_open", "table_open") and token.attrGet("id"):
            written = str(token.attrGet("id"))
            final = unique(xml_id(written), used, draft.file)
            token.attrSet("id", final)
            draft.anchors.setdefault(written, final)
            draft.targets.append(final)
        if token.type == "anchor_aliases":
            pending.extend(token.meta["ids"])
            continue
        if token.type == "inline":
            in_heading = index and tokens[index - 1].type == "heading_open"
            target = previous
            for child in token.children or []:
                if child.type == "legacy_anchor":
                    aliases.append((str(child.meta["id"]), target if in_heading else previous))
            continue
        if token.type != "heading_open":
            if pending and token.block and token.nesting != -1 and token.type != "comment":
                aliases.extend((name, previous) for name in pending)
                pending.clear()
            continue
        text = inline_text(tokens[index + 1])
        local = _github_name(str(token.meta.get("source_text", text)), seen)
        requested = str(token.attrs["id"]) if token.attrs.get("id") else None
        written = requested or local
        # Ids stay ASCII (valid in every reader's XML); a name with other letters is an alias.
        safe = written if _SAFE_ID_RE.match(written) else slugify(text)
        final = unique(xml_id(safe), used, draft.file)
        token.attrSet("id", final)
        draft.anchors.setdefault(written, final)
        aliases.extend([(local, final), (slugify(text), final)])
        aliases.extend((name, final) for name in pending)
        pending.clear()
        previous = final
        line = token.map[0] + 1 if token.map else None
        draft.headings.append(Heading(int(token.tag[1]), text, final, line, requested))
    aliases.extend((name, previous) for name in pending)
    # The title is the section's top heading: its names (GitHub's, the earlier rule's) lead to
    # the section, as links written against a `# Title` line at the top of the file expect.
    title = str(draft.front.get("title") or "")
    aliases.extend([(github_slug(title), draft.id), (slugify(title), draft.id)])
    for name, final in aliases:
        draft.anchors.setdefault(name, final)


def _github_name(text: str, seen: dict[str, int]) -> str:
    """The next GitHub name for ``text`` in a section (github-slugger's counting)."""
    base = github_slug(text) or slugify(text)
    name = base
    while name in seen:
        seen[base] += 1
        name = f"{base}-{seen[base]}"
    seen[name] = 0
    return name


def unique(candidate: str, used: dict[str, str], file: str) -> str:
    """``candidate``, or ``candidate-2``, ``-3``… if another element has it; recorded as used."""
    final, n = candidate, 1
    while final in used:
        n += 1
        final = f"{candidate}-{n}"
    used[final] = file
    return final


def xml_id(slug: str) -> str:
    """A valid XML id: one that does not start with a letter gets an ``s-`` prefix."""
    return slug if slug[:1].isalpha() else f"s-{slug}"
