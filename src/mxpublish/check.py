"""Lint rules over the loaded model: each rule is data beside its check function."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mxpublish.errors import Diagnostic, Severity
from mxpublish.model import Publication, Section

_TERMINAL_RE = re.compile(r"[.!?…:;][\"'”’)\]»]*\s*$")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Callable[[Publication, Rule], Iterator[Diagnostic]]

    def diagnostic(
        self, message: str, section: Section | None = None, hint: str | None = None
    ) -> Diagnostic:
        return Diagnostic(
            section.source if section else None, None, None, self.id, self.severity, message, hint
        )


def _ends_mid_sentence(section: Section) -> bool:
    text = section.text.rstrip()
    return bool(text) and not _TERMINAL_RE.search(text)


def _check_mid_sentence(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        if _ends_mid_sentence(section) and not section.incomplete:
            tail = section.text.rstrip()[-40:]
            yield rule.diagnostic(
                f"text ends mid-sentence: “…{tail}”",
                section,
                hint="finish the sentence, or mark the section "
                "`status: incomplete` to print an editor's note",
            )


def _check_incomplete(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        if section.incomplete:
            tail = section.text.rstrip()[-40:]
            yield rule.diagnostic(
                f"section “{section.title}” is marked incomplete; its text "
                f"stops at “…{tail}” and every edition shows an editor's note",
                section,
            )


def _check_heading_jumps(publication: Publication, rule: Rule) -> Iterator[Diagnostic]:
    for section in publication.sections:
        level = 1
        for heading in section.headings:
            if heading.level > level + 1:
                yield rule.diagnostic(
                    f"heading “{heading.text}” jumps from level {level} to {heading.level}",
                    section,
                    hint=f"use {'#' * (level + 1)} for it",
                )
            level = heading.level


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
        "HEADING-JUMP",
        Severity.WARNING,
        "a heading skips a level (## then ####)",
        _check_heading_jumps,
    ),
)


def lint(publication: Publication) -> list[Diagnostic]:
    """Every rule's findings, in file order."""
    found = [d for rule in RULES for d in rule.check(publication, rule)]
    return sorted(found, key=Diagnostic.sort_key)
