"""The lint rules' check functions over the loaded model, and the ``Rule`` record that
declares each one (the registry, in check.py, pairs them)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mxpublish.errors import Diagnostic, Severity
from mxpublish.model import Block, Publication, Section

#: A sentence's end in the scripts the fonts cover: Latin, CJK full stops and marks,
#: Devanagari danda, Arabic question mark and full stop; then any closing quotes or brackets.
_TERMINAL_RE = re.compile(r"[.!?…:;。！？．｡।॥؟۔][\"'”’)\]»」』）】〉》]*\s*$")


_CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)


_REPEATED_RE = re.compile(r"(?<![\w'’-])([^\W\d_]+)(\s+)(\1)(?![\w'’-])", re.IGNORECASE)


_STRAIGHT_RE = re.compile(r"\S*[\"']\S*")


_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")


_STATUS_RE = re.compile(r"^status:\s*")


Check = Callable[[Publication, "Rule"], Iterator[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    """A lint rule: a stable id, a severity, a one-line summary and its check.

    ``check`` is None for rules the loader applies while building the model; ``release``
    rules run only for a release (``check --release`` / ``build --release``).
    """

    id: str
    severity: Severity
    summary: str
    check: Check | None = None
    release: bool = False

    def diagnostic(
        self,
        message: str,
        section: Section | None = None,
        hint: str | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> Diagnostic:
        file = section.source if section else None
        return Diagnostic(file, line, col, self.id, self.severity, message, hint)


def _position(section: Section, block: Block, offset: int) -> tuple[int, int | None]:
    """File line and column of ``offset`` in ``block.markdown``."""
    before = block.markdown[:offset]
    index = before.count("\n")
    line = block.line + index
    written = block.markdown.split("\n")[index]
    in_line = offset - (before.rfind("\n") + 1)
    if 0 < line <= len(section.lines):
        start = section.lines[line - 1].find(written)
        if start >= 0:
            return line, start + in_line + 1
    return line, None


def _end(section: Section, block: Block) -> tuple[int, int | None]:
    """Where ``block`` ends: the position of its last character."""
    return _position(section, block, max(len(block.markdown.rstrip()) - 1, 0))


def _masked(markdown: str) -> str:
    """``markdown`` with code spans blanked out (same length, so offsets still hold)."""
    return _CODE_SPAN_RE.sub(lambda m: "\0" * len(m.group(0)), markdown)


def _text_blocks(publication: Publication) -> Iterator[tuple[Section, Block]]:
    """Every block of Markdown text (raw HTML blocks left out), with its section."""
    for section in publication.sections:
        for block in section.blocks:
            if block.kind != "html":
                yield section, block


def _last_block(section: Section) -> Block | None:
    """The last block of the running text (a table's cells are not part of it)."""
    return next((b for b in reversed(section.blocks) if b.prose.strip() and b.kind != "cell"), None)


def _tail(section: Section) -> str:
    """The last words of the section, about 40 characters, never starting mid-word, on one
    line (the text's paragraph breaks would break the one-line message)."""
    text = " ".join(section.text.split())
    if len(text) <= 40:
        return text
    return text[-40:].split(" ", 1)[-1]


def _ends_mid_sentence(text: str) -> bool:
    text = text.rstrip()
    return bool(text) and not _TERMINAL_RE.search(text)


def _introduces_display(section: Section, block: Block) -> bool:
    """Whether a code block, table or display formula comes right after ``block``: the text
    before one ends "…is equivalent to" or "For example," by design."""
    blocks = section.blocks
    index = next(i for i, b in enumerate(blocks) if b is block)
    return index + 1 < len(blocks) and blocks[index + 1].kind == "display"


def _fragment_list_end(section: Section) -> bool:
    """Whether the section ends with a list none of whose items (two or more) ends a
    sentence: a list of fragments ("- pack a crate"), written so, not cut off."""
    items = []
    for block in reversed([b for b in section.blocks if b.prose.strip() and b.kind != "cell"]):
        if block.kind != "item":
            break
        items.append(block)
    return len(items) >= 2 and all(_ends_mid_sentence(item.prose) for item in items)


def check_mid_sentence(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        last = _last_block(section)
        if last is not None and (_introduces_display(section, last) or _fragment_list_end(section)):
            continue
        if _ends_mid_sentence(section.text) and not section.incomplete:
            last = _last_block(section)
            line, col = _end(section, last) if last else (None, None)
            yield rule.diagnostic(
                f"text ends mid-sentence: “…{_tail(section)}”",
                section,
                hint="finish the sentence, or mark the section "
                "`status: incomplete` to print an editor's note",
                line=line,
                col=col,
            )


def check_incomplete(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        if section.incomplete:
            last = _last_block(section)
            line, col = _end(section, last) if last else (None, None)
            yield rule.diagnostic(
                f"section “{section.title}” is marked incomplete; its text "
                f"stops at “…{_tail(section)}” and every edition shows an editor's note",
                section,
                line=line,
                col=col,
            )


def check_paragraph_ends(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    hint = "end it with . ! ? or : (a paragraph that introduces a list)"
    for section, block in _text_blocks(publication):
        if block.kind != "paragraph" or block is _last_block(section):
            continue  # the section's end is TEXT-MIDSENTENCE's or TEXT-INCOMPLETE's
        if _ends_mid_sentence(block.prose) and not _introduces_display(section, block):
            message = (
                f"paragraph ends without terminal punctuation: “…{block.prose.rstrip()[-40:]}”"
            )
            yield rule.diagnostic(message, section, hint, *_end(section, block))


def check_repeated_words(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section, block in _text_blocks(publication):
        for match in _REPEATED_RE.finditer(_masked(block.markdown)):
            message = f"repeated word “{match.group(1)} {match.group(3)}”"
            yield rule.diagnostic(
                message, section, None, *_position(section, block, match.start(3))
            )


def check_straight_quotes(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        for block in section.blocks:
            masked = _masked(block.markdown)
            searched = 0
            for match in _STRAIGHT_RE.finditer(block.prose):
                word = match.group(0)
                found = masked.find(word, searched)
                if found < 0:
                    found = max(masked.find('"', searched), masked.find("'", searched), 0)
                searched = found + 1
                line, col = _position(section, block, found)
                if block.kind == "html":
                    message = f"straight quote in raw HTML, which typography does not reach: {word}"
                else:
                    message = f"straight quote left after typography: {word}"
                yield rule.diagnostic(
                    message,
                    section,
                    hint="type the typographic character (’ “ ” ′ ″)",
                    line=line,
                    col=col,
                )


def check_raw_html(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    hint = "use Markdown instead: **bold**, *italic*, {#id .class} attributes"
    for section, block in _text_blocks(publication):
        for match in _TAG_RE.finditer(_masked(block.markdown)):
            if match.group(0)[: match.end(1) - match.start()] not in block.prose:
                continue  # parsed as HTML (when raw HTML is allowed), not printed as text
            message = f"raw HTML {match.group(0)} prints literally (raw HTML is escaped)"
            yield rule.diagnostic(message, section, hint, *_position(section, block, match.start()))


def check_long_paragraphs(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    limit = publication.metadata.lint.paragraph_words
    hint = "split it, or raise `check: paragraph_words:` in publication.yaml"
    for section, block in _text_blocks(publication):
        words = len(block.prose.split())
        if block.kind in ("paragraph", "item") and words > limit:
            message = f"very long paragraph: {words} words (more than {limit})"
            yield rule.diagnostic(message, section, hint, *_position(section, block, 0))


def check_trailing_whitespace(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        for number, text in enumerate(section.lines, 1):
            stripped = text.rstrip(" \t")
            if stripped != text:
                yield rule.diagnostic(
                    "trailing whitespace",
                    section,
                    hint="for a hard line break, end the line with a backslash",
                    line=number,
                    col=len(stripped) + 1,
                )


def check_heading_jumps(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        level = 1
        for heading in section.headings:
            if heading.level > level + 1:
                yield rule.diagnostic(
                    f"heading “{heading.text}” jumps from level {level} to {heading.level}",
                    section,
                    hint=f"use {'#' * (level + 1)} for it",
                    line=heading.line,
                    col=1 if heading.line else None,
                )
            level = heading.level


def check_order_gaps(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    previous = None
    for section in publication.sections:
        expected = previous.number + 1 if previous else 1
        if section.number > expected:
            missing = (
                str(expected)
                if section.number == expected + 1
                else f"{expected}–{section.number - 1}"
            )
            after = f"follows {previous.source}" if previous else "is the first section"
            yield rule.diagnostic(
                f"section number {section.number} {after}: {missing} is missing",
                section,
                hint="renumber the files so that the order has no gaps",
                line=1,
                col=1,
            )
        previous = section


def check_duplicate_ids(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        for heading in section.headings:
            wanted = heading.requested
            if not wanted or heading.id in (wanted, f"s-{wanted}"):
                continue
            owner = publication.section_of(wanted)
            where = ""
            if owner is not None:
                first = next((h for h in owner.headings if h.id == wanted), None)
                where = f" by {owner.source}" + (f":{first.line}" if first and first.line else "")
            yield rule.diagnostic(
                f"id “{wanted}” is already used{where}; this heading became “{heading.id}”, "
                f"so links to #{wanted} go to the first one",
                section,
                hint="give each {#id} a different name",
                line=heading.line,
                col=1 if heading.line else None,
            )


def check_status(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        if section.status in ("final", "incomplete"):
            continue
        line = col = None
        for number, text in enumerate(section.lines[1:], 2):
            if text.strip() == "---":
                break
            match = _STATUS_RE.match(text)
            if match:
                line, col = number, match.end() + 1
        yield rule.diagnostic(
            f"section “{section.title}” has status {section.status!r} in a release build",
            section,
            hint="set `status: final` when the section is ready",
            line=line,
            col=col,
        )


#: How many of a section's missing characters a GLYPH-MISSING message lists.
GLYPHS_LISTED = 20

_GLYPH_HINTS = {
    "": "use other characters, or an image",
    "private-use ": "private-use characters belong to an icon font, and only a face that has "
    "them draws them (no shipped face does): use a word, a Unicode symbol or an image",
}


def check_glyphs(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    """Characters no shipped face draws (coverage.py decides): one diagnostic per section for
    its private-use characters (an icon font's) and one for the rest, each listing them and
    pointing at the first, so a book in a script the fonts lack gets one line per file."""
    from mxpublish.assemble.coverage import missing_glyphs

    for section in publication.sections:
        found = list(missing_glyphs(section.lines))
        for kind, hint in _GLYPH_HINTS.items():
            chars = [f for f in found if (unicodedata.category(f[0]) == "Co") == bool(kind)]
            if chars:
                yield rule.diagnostic(
                    _missing_message(chars, kind)
                    + f": the PDF prints {'a box for each' if chars[1:] else 'it as a box'}, "
                    "the EPUB and HTML whatever font the reader's system has (or a box)",
                    section,
                    hint=hint,
                    line=chars[0][1],
                    col=chars[0][2],
                )


def _missing_message(found: list[tuple[str, int, int]], kind: str) -> str:
    """ "no shipped font has X (U+… NAME)" for one character; for more, how many, the first
    named, and the first GLYPHS_LISTED of them."""
    char = found[0][0]
    name = unicodedata.name(char, "PRIVATE USE" if kind else "unnamed")
    first = f"{char} (U+{ord(char):04X} {name})"
    if len(found) == 1:
        return f"no shipped font has the {kind}character {first}"
    listed = " ".join(f[0] for f in found[:GLYPHS_LISTED])
    more = f" and {len(found) - GLYPHS_LISTED} more" if len(found) > GLYPHS_LISTED else ""
    return (
        f"no shipped font has {len(found)} distinct {kind}characters of this file, "
        f"first {first}: {listed}{more}"
    )
