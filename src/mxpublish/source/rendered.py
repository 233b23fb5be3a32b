"""A section's final tokens → its ``Section`` record (screen and print HTML, running text,
blocks), memoized: a process that loads the project again (watch, serve) renders again only
the sections whose tokens or running numbers on entry changed."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, fields
from typing import Any

from markdown_it import MarkdownIt

from mxpublish.model import Block, Section
from mxpublish.source.anchors import Draft
from mxpublish.source.blocks import running_text, text_blocks
from mxpublish.source.markdown import typeset
from mxpublish.source.memo import KEEP, Memo, digest_of
from mxpublish.source.rendering import RenderState, render_section


@dataclass(frozen=True)
class _Rendered:
    """What rendering one section's final tokens gives, and the numbers it leaves behind."""

    html: str
    print_html: str
    raw_images: list[Any]
    text: str
    blocks: tuple[Block, ...]
    screen_after: RenderState
    paper_after: RenderState


#: Per parser: rendered sections by a digest of their final tokens, id and running numbers
#: on entry, so watch and serve render again only the sections whose output can change.
_RENDERED: weakref.WeakKeyDictionary[MarkdownIt, Memo[_Rendered]] = weakref.WeakKeyDictionary()


def render_draft(draft: Draft, md: MarkdownIt, screen: RenderState, paper: RenderState) -> Section:
    """The section as rendered for screen and print, advancing both states' numbers; from the
    memo when the same tokens were rendered with the same numbers on entry before."""
    memo = _RENDERED.setdefault(md, Memo(4096))
    key = digest_of((draft.tokens, draft.id, vars(screen), vars(paper))) if KEEP[0] else None
    done = memo.get(key) if key is not None else None
    if done is None:
        found: dict[str, Any] = {}
        html = render_section(md, draft.tokens, draft.id, screen, found)
        print_html = render_section(md, draft.tokens, draft.id, paper)
        done = _Rendered(
            html,
            print_html,
            found.get("raw_images", []),
            running_text(draft.tokens),
            tuple(text_blocks(draft.tokens)),
            _copy(screen),
            _copy(paper),
        )
        if key is not None:
            memo.put(key, done, len(html) + len(print_html))
    else:
        _advance(screen, done.screen_after)
        _advance(paper, done.paper_after)
    draft.raw_images = list(done.raw_images)
    return Section(
        number=draft.number,
        source=draft.file,
        id=draft.id,
        title=_typeset(md, str(draft.front["title"]).strip()),
        html=done.html,
        text=done.text,
        headings=tuple(draft.headings),
        targets=tuple(draft.targets),
        status=str(draft.front.get("status") or "final"),
        summary=(str(draft.front["summary"]).strip() if draft.front.get("summary") else None),
        blocks=done.blocks,
        lines=draft.lines,
        print_html=done.print_html,
        assets=draft.assets,
    )


def _advance(state: RenderState, after: RenderState) -> None:
    """Set ``state``'s running numbers to where rendering a section left them."""
    for item in fields(RenderState):
        setattr(state, item.name, getattr(after, item.name))


_TYPESET: weakref.WeakKeyDictionary[MarkdownIt, Memo[str]] = weakref.WeakKeyDictionary()


def _typeset(md: MarkdownIt, text: str) -> str:
    memo = _TYPESET.setdefault(md, Memo(4096))
    found = memo.get(text)
    if found is None:
        found = typeset(md, text)
        if KEEP[0]:
            memo.put(text, found)
    return found


def _copy(state: RenderState) -> RenderState:
    return RenderState(**vars(state))
