"""Lint rules over the loaded model: each rule is data beside its check function.

The checker never re-reads the sources: what a rule needs (lines, blocks, images, heading
lines) is in the model. Problems the loader finds while building the model (schema, front
matter, order, ids, links) are documented here too, in ``SOURCE_RULES``, and ``check_project``
reports them in the same form.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from mxpublish.assemble.documents import check_templates, stylesheet
from mxpublish.editions import MEDIA
from mxpublish.errors import Diagnostic, SandboxError, Severity, SourceError
from mxpublish.model import Publication
from mxpublish.project import find_project
from mxpublish.rules import (
    Rule,
    check_duplicate_ids,
    check_glyphs,
    check_heading_jumps,
    check_incomplete,
    check_long_paragraphs,
    check_mid_sentence,
    check_order_gaps,
    check_paragraph_ends,
    check_raw_html,
    check_repeated_words,
    check_status,
    check_straight_quotes,
    check_trailing_whitespace,
)
from mxpublish.source.metadata import ConfigFile
from mxpublish.source.sections import load_publication


def _loaded(publication: Publication, code: str) -> Iterator[Diagnostic]:
    """What loading the sources found under ``code`` (it does not stop a build)."""
    return (d for d in publication.diagnostics if d.code == code)


RULES: tuple[Rule, ...] = (
    Rule(
        "TEXT-MIDSENTENCE",
        Severity.ERROR,
        "a section's text stops mid-sentence and is not marked `status: incomplete`",
        check_mid_sentence,
    ),
    Rule(
        "TEXT-INCOMPLETE",
        Severity.WARNING,
        "a section is marked `status: incomplete` (its source stops early)",
        check_incomplete,
    ),
    Rule(
        "PARAGRAPH-MIDSENTENCE",
        Severity.WARNING,
        "a paragraph inside a section does not end in terminal punctuation",
        check_paragraph_ends,
    ),
    Rule(
        "HEADING-JUMP",
        Severity.WARNING,
        "a heading skips a level (## then ####)",
        check_heading_jumps,
    ),
    Rule(
        "SECTION-ORDER-GAP",
        Severity.WARNING,
        "section numbers leave a gap (01, 02, 04)",
        check_order_gaps,
    ),
    Rule(
        "ID-DUPLICATE",
        Severity.WARNING,
        "an explicit {#id} is already used elsewhere, so the heading got another id",
        check_duplicate_ids,
    ),
    Rule(
        "QUOTES-STRAIGHT",
        Severity.WARNING,
        "straight quotes left in the text (raw HTML, or where typography cannot decide)",
        check_straight_quotes,
    ),
    Rule(
        "HTML-RAW",
        Severity.WARNING,
        "raw HTML in Markdown, which is escaped and prints literally",
        check_raw_html,
    ),
    Rule(
        "WORD-REPEATED",
        Severity.WARNING,
        "a word is repeated (“the the”)",
        check_repeated_words,
    ),
    Rule(
        "PARAGRAPH-LONG",
        Severity.WARNING,
        "a paragraph is longer than `check: paragraph_words:` (default 300)",
        check_long_paragraphs,
    ),
    Rule(
        "WHITESPACE-TRAILING",
        Severity.WARNING,
        "a line ends with spaces or tabs",
        check_trailing_whitespace,
    ),
    Rule(
        "GLYPH-MISSING",
        Severity.WARNING,
        "characters no embedded font draws (they print as boxes), listed once per file",
        check_glyphs,
    ),
    Rule(
        "STATUS-NOT-FINAL",
        Severity.ERROR,
        "a section's status is draft or review in a release build",
        check_status,
        release=True,
    ),
    Rule(
        "HTML-COMMENT",
        Severity.INFO,
        "an HTML comment, which no edition prints: listed so the author sees what is held back",
        lambda publication, rule: _loaded(publication, rule.id),
    ),
    Rule(
        "MARKUP-UNSUPPORTED",
        Severity.WARNING,
        "Markdown of another tool that prints as written or is left out (grid tables, "
        "mdBook {{#include}}, extra table cells, raw {=latex} blocks, undefined [x][ref])",
        lambda publication, rule: _loaded(publication, rule.id),
    ),
    Rule(
        "BIBLIOGRAPHY-UNCITED",
        Severity.INFO,
        "a bibliography entry is never cited (so the references leave it out)",
        lambda publication, rule: _loaded(publication, rule.id),
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
        ("IMAGE-ALT", "an image has no alt text"),
        ("IMAGE-MISSING", "an image file is not in the project"),
        ("IMAGE-TYPE", "an image is not PNG, JPEG, GIF or SVG, or its content is not its type"),
        ("IMAGE-REMOTE", "an image is a URL: builds never use the network"),
        ("FOOTNOTE-BLOCK", "a footnote holds a list, table, code or quotation"),
        ("COMMENT-UNCLOSED", "an HTML comment `<!--` is not closed where it must be"),
        ("CITATION-UNKNOWN", "a citation's key is not in the bibliography (“did you mean”)"),
        ("CITATION-NO-BIBLIOGRAPHY", "`[@key]` is written but no bibliography is named"),
        ("BIBLIOGRAPHY-MISSING", "a `bibliography:` file is not in the project"),
        ("BIBLIOGRAPHY-SYNTAX", "a bibliography file is not valid CSL-JSON or BibTeX"),
        ("BIBLIOGRAPHY-TYPE", "a bibliography file is neither .json (CSL-JSON) nor .bib"),
        ("BIBLIOGRAPHY-DUPLICATE", "two bibliography entries share a key"),
        ("CSL-UNKNOWN", "`csl:` names no known style"),
        ("CSL-MISSING", "`csl:` names a .csl file that is not in the project"),
        ("CROSSREF-UNKNOWN", "`@fig-x`, `@tbl-x`, `@sec-x` or `@eq-x` points at no such target"),
        ("ID-DUPLICATE-EQUATION", "two equations share an `{#eq-…}` id"),
        ("MATH-SYNTAX", "TeX math that cannot be converted"),
        ("REFERENCES-TWICE", "more than one `::: references` block"),
    )
)
#: Found while loading too, but no reason to stop a draft: a release refuses it.
SOURCE_RULES += (
    Rule(
        "LINK-BROKEN",
        Severity.WARNING,
        "a link to a missing section or anchor, printed as plain text (an error in a release)",
    ),
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

    ``release`` adds the rules that only apply to a release build (STATUS-NOT-FINAL) and
    makes a broken link an error.
    """
    found: list[Diagnostic] = []
    for rule in RULES:
        if rule.check is not None and (release or not rule.release):
            found.extend(rule.check(publication, rule))
    found = [d for d in found if not _ignored(d, publication)]
    found.extend(_settings_problems(publication))
    for link in _loaded(publication, "LINK-BROKEN"):  # not ignorable: a release refuses them
        found.append(replace(link, severity=Severity.ERROR) if release else link)
    return sorted(found, key=Diagnostic.sort_key)


def check_project(project_dir: Path | str, *, release: bool = False) -> list[Diagnostic]:
    """Load and lint a project; source errors come back as diagnostics, not exceptions,
    so that one report holds everything. Raises ProjectError when there is no project."""
    return load_and_check(project_dir, release=release)[1]


def load_and_check(
    project_dir: Path | str, *, release: bool = False, config: ConfigFile | None = None
) -> tuple[Publication | None, list[Diagnostic]]:
    """check_project's findings, with the publication it loaded (None when it could not
    be), so ``build --release`` renders what it checked without loading it again."""
    project = find_project(project_dir)
    try:
        publication = load_publication(project, config=config)
        # Check the templates and read every edition's stylesheet as a build would, so sandbox
        # and resource errors in them show without rendering.
        check_templates(project)
        for medium in MEDIA:
            stylesheet(project, medium)
    except (SourceError, SandboxError) as exc:
        return None, sorted(exc.diagnostics, key=Diagnostic.sort_key)
    return publication, lint(publication, release=release)


def summary(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    """(errors, warnings) in ``diagnostics``."""
    items = list(diagnostics)
    errors = sum(d.severity is Severity.ERROR for d in items)
    return errors, sum(d.severity is Severity.WARNING for d in items)
