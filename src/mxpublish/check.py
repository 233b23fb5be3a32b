"""Lint rules over the loaded model: each rule is data beside its check function.

The checker never re-reads the sources: what a rule needs (lines, blocks, images, heading
lines) is in the model. Problems the loader finds while building the model (schema, front
matter, order, ids, links) are documented here too, in ``SOURCE_RULES``, and ``check_project``
reports them in the same form.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mxpublish.assemble.documents import environment, stylesheet
from mxpublish.errors import Diagnostic, SandboxError, Severity, SourceError
from mxpublish.model import Block, Publication, Section
from mxpublish.project import find_project
from mxpublish.source.sections import load_publication

_TERMINAL_RE = re.compile(r"[.!?…:;][\"'”’)\]»]*\s*$")
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


# --- positions --------------------------------------------------------------------------


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
    return next((b for b in reversed(section.blocks) if b.prose.strip()), None)


def _tail(section: Section) -> str:
    """The last words of the section, about 40 characters, never starting mid-word."""
    text = section.text.rstrip()
    if len(text) <= 40:
        return text
    return text[-40:].split(" ", 1)[-1]


# --- text -------------------------------------------------------------------------------


def _ends_mid_sentence(text: str) -> bool:
    text = text.rstrip()
    return bool(text) and not _TERMINAL_RE.search(text)


def _check_mid_sentence(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
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


def _check_incomplete(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
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


def _check_paragraph_ends(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    hint = "end it with . ! ? or : (a paragraph that introduces a list)"
    for section, block in _text_blocks(publication):
        if block.kind != "paragraph" or block is _last_block(section):
            continue  # the section's end is TEXT-MIDSENTENCE's or TEXT-INCOMPLETE's
        if _ends_mid_sentence(block.prose):
            message = (
                f"paragraph ends without terminal punctuation: “…{block.prose.rstrip()[-40:]}”"
            )
            yield rule.diagnostic(message, section, hint, *_end(section, block))


def _check_repeated_words(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section, block in _text_blocks(publication):
        for match in _REPEATED_RE.finditer(_masked(block.markdown)):
            message = f"repeated word “{match.group(1)} {match.group(3)}”"
            yield rule.diagnostic(
                message, section, None, *_position(section, block, match.start(3))
            )


def _check_straight_quotes(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
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


def _check_raw_html(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    hint = "use Markdown instead: **bold**, *italic*, {#id .class} attributes"
    for section, block in _text_blocks(publication):
        for match in _TAG_RE.finditer(_masked(block.markdown)):
            if match.group(0)[: match.end(1) - match.start()] not in block.prose:
                continue  # parsed as HTML (when raw HTML is allowed), not printed as text
            message = f"raw HTML {match.group(0)} prints literally (raw HTML is escaped)"
            yield rule.diagnostic(message, section, hint, *_position(section, block, match.start()))


def _check_long_paragraphs(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    limit = publication.metadata.lint.paragraph_words
    hint = "split it, or raise `check: paragraph_words:` in publication.yaml"
    for section, block in _text_blocks(publication):
        words = len(block.prose.split())
        if block.kind in ("paragraph", "item") and words > limit:
            message = f"very long paragraph: {words} words (more than {limit})"
            yield rule.diagnostic(message, section, hint, *_position(section, block, 0))


def _check_trailing_whitespace(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
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


# --- structure --------------------------------------------------------------------------


def _check_heading_jumps(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
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


def _check_order_gaps(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
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


def _check_duplicate_ids(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
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


def _check_status(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
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


def _check_glyphs(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    from mxpublish.assemble.coverage import missing_glyphs

    for section in publication.sections:
        for char, line, col in missing_glyphs(section.lines):
            name = unicodedata.name(char, "unnamed")
            yield rule.diagnostic(
                f"no shipped font has {char} (U+{ord(char):04X} {name}): it would print as a "
                "box or in the reader's system font",
                section,
                hint="use another character, or an image for it",
                line=line,
                col=col,
            )


RULES: tuple[Rule, ...] = (
    Rule(
        "TEXT-MIDSENTENCE",
        Severity.ERROR,
        "a section's text stops mid-sentence and is not marked `status: incomplete`",
        _check_mid_sentence,
    ),
    Rule(
        "TEXT-INCOMPLETE",
        Severity.WARNING,
        "a section is marked `status: incomplete` (its source stops early)",
        _check_incomplete,
    ),
    Rule(
        "PARAGRAPH-MIDSENTENCE",
        Severity.WARNING,
        "a paragraph inside a section does not end in terminal punctuation",
        _check_paragraph_ends,
    ),
    Rule(
        "HEADING-JUMP",
        Severity.WARNING,
        "a heading skips a level (## then ####)",
        _check_heading_jumps,
    ),
    Rule(
        "SECTION-ORDER-GAP",
        Severity.WARNING,
        "section numbers leave a gap (01, 02, 04)",
        _check_order_gaps,
    ),
    Rule(
        "ID-DUPLICATE",
        Severity.WARNING,
        "an explicit {#id} is already used elsewhere, so the heading got another id",
        _check_duplicate_ids,
    ),
    Rule(
        "QUOTES-STRAIGHT",
        Severity.WARNING,
        "straight quotes left in the text (raw HTML, or where typography cannot decide)",
        _check_straight_quotes,
    ),
    Rule(
        "HTML-RAW",
        Severity.WARNING,
        "raw HTML in Markdown, which is escaped and prints literally",
        _check_raw_html,
    ),
    Rule(
        "WORD-REPEATED",
        Severity.WARNING,
        "a word is repeated (“the the”)",
        _check_repeated_words,
    ),
    Rule(
        "PARAGRAPH-LONG",
        Severity.WARNING,
        "a paragraph is longer than `check: paragraph_words:` (default 300)",
        _check_long_paragraphs,
    ),
    Rule(
        "WHITESPACE-TRAILING",
        Severity.WARNING,
        "a line ends with spaces or tabs",
        _check_trailing_whitespace,
    ),
    Rule(
        "GLYPH-MISSING",
        Severity.WARNING,
        "a character that no embedded font draws (it would print as a box)",
        _check_glyphs,
    ),
    Rule(
        "STATUS-NOT-FINAL",
        Severity.ERROR,
        "a section's status is draft or review in a release build",
        _check_status,
        release=True,
    ),
    Rule(
        "CHECK-IGNORE-UNKNOWN",
        Severity.WARNING,
        "publication.yaml's `check:` ignores a rule id that does not exist",
    ),
)

#: Problems found while loading the sources: they stop a build, so they cannot be ignored.
SOURCE_RULES: tuple[Rule, ...] = tuple(
    Rule(rule_id, Severity.ERROR, summary)
    for rule_id, summary in (
        ("PROJECT-NO-CONFIG", "the directory has no source/publication.yaml"),
        ("YAML-SYNTAX", "publication.yaml or a front matter is not valid YAML"),
        ("YAML-NOT-MAPPING", "publication.yaml or a front matter is not `key: value` lines"),
        ("SCHEMA-MISSING", "a required key (title, authors, date, …) is missing or empty"),
        ("SCHEMA-UNKNOWN", "an unknown key (with a “did you mean”)"),
        ("SCHEMA-TYPE", "a key has a value of the wrong type"),
        ("SCHEMA-VALUE", "a key's value is malformed (language tag, identifier, slug)"),
        ("SOURCE-ENCODING", "a file is not UTF-8 (the message names the byte)"),
        ("SOURCE-UNREADABLE", "a file cannot be read"),
        ("SOURCE-NO-SECTIONS", "source/ holds no section files"),
        ("SECTION-NAME", "a section file name is not `NN-name.md`"),
        ("SECTION-NO-FRONT-MATTER", "a section does not start with `---` front matter"),
        ("SECTION-ORDER", "two sections share an order number"),
        ("SECTION-ID", "a section id is not a valid XML id"),
        ("SECTION-ID-DUPLICATE", "two sections have the same id"),
        ("SECTION-EMPTY", "a section has no text"),
        ("SECTION-H1", "a `#` heading inside a section (the title is the front matter's)"),
        ("LINK-BROKEN", "a link to a missing section or anchor"),
        ("IMAGE-ALT", "an image has no alt text"),
        ("IMAGE-MISSING", "an image file is not in the project"),
        ("IMAGE-TYPE", "an image is not PNG, JPEG, GIF or SVG, or its content is not its type"),
        ("IMAGE-REMOTE", "an image is a URL: builds never use the network"),
        ("FOOTNOTE-BLOCK", "a footnote holds a list, table, code or quotation"),
    )
)


def all_rules() -> tuple[Rule, ...]:
    """Every documented id, source rules first (the order `check --list-rules` prints)."""
    return SOURCE_RULES + RULES


def _ignored(diagnostic: Diagnostic, publication: Publication) -> bool:
    settings = publication.metadata.lint
    if diagnostic.code in settings.ignore:
        return True
    file = diagnostic.file or ""
    return any(
        diagnostic.code in ids
        and (fnmatch.fnmatchcase(file, pattern) or fnmatch.fnmatchcase(Path(file).name, pattern))
        for pattern, ids in settings.ignore_in
    )


def _settings_problems(publication: Publication) -> Iterator[Diagnostic]:
    settings = publication.metadata.lint
    lint_ids = {rule.id for rule in RULES}
    source_ids = {rule.id for rule in SOURCE_RULES}
    named = [*settings.ignore, *(i for _, ids in settings.ignore_in for i in ids)]
    rule = next(r for r in RULES if r.id == "CHECK-IGNORE-UNKNOWN")
    for rule_id in dict.fromkeys(named):
        if rule_id in lint_ids:
            continue
        if rule_id in source_ids:
            message = f"{rule_id} is found while loading the sources and cannot be ignored"
            hint = None
        else:
            message = f"`check:` ignores {rule_id!r}, which is not a rule"
            close = difflib.get_close_matches(rule_id, sorted(lint_ids), n=1)
            hint = f"did you mean {close[0]}?" if close else "see `mxpublish check --list-rules`"
        yield Diagnostic(
            "source/publication.yaml", settings.line, None, rule.id, rule.severity, message, hint
        )


def lint(publication: Publication, *, release: bool = False) -> list[Diagnostic]:
    """Every rule's findings, in file order, less those publication.yaml ignores.

    ``release`` adds the rules that only apply to a release build (STATUS-NOT-FINAL).
    """
    found: list[Diagnostic] = []
    for rule in RULES:
        if rule.check is not None and (release or not rule.release):
            found.extend(rule.check(publication, rule))
    found = [d for d in found if not _ignored(d, publication)]
    found.extend(_settings_problems(publication))
    return sorted(found, key=Diagnostic.sort_key)


def check_project(project_dir: Path | str, *, release: bool = False) -> list[Diagnostic]:
    """Load and lint a project; source errors come back as diagnostics, not exceptions,
    so that one report holds everything. Raises ProjectError when there is no project."""
    project = find_project(project_dir)
    try:
        publication = load_publication(project)
        # Read the templates and every edition's stylesheet as a build would, so sandbox
        # and resource errors in them show without rendering.
        environment(project)
        for medium in ("print", "epub", "web"):
            stylesheet(project, medium)
    except (SourceError, SandboxError) as exc:
        return sorted(exc.diagnostics, key=Diagnostic.sort_key)
    return lint(publication, release=release)


def summary(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    """(errors, warnings) in ``diagnostics``."""
    items = list(diagnostics)
    errors = sum(d.severity is Severity.ERROR for d in items)
    return errors, sum(d.severity is Severity.WARNING for d in items)
