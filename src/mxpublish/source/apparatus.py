"""The report apparatus, applied once every section is parsed and its ids are final: math
converted and equations numbered, cross-references resolved, citations formatted by one
citeproc pass, and the generated sections (references, list of figures and tables, about
this publication) built from the results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from mxpublish.errors import Diagnostic, SourceError, error
from mxpublish.model import Metadata, Section
from mxpublish.project import Project
from mxpublish.source import crossrefs, math
from mxpublish.source.citations import citation_tokens, citations_to_notes
from mxpublish.source.references import CitedWork, Occurrence

REFERENCES_ID = "references"
FIGURES_ID = "figures-and-tables"
ABOUT_ID = "about-this-publication"


class Draft(Protocol):
    """What the apparatus reads and amends of a section being loaded (sections._Draft)."""

    file: str
    id: str
    number: int
    tokens: list[Token]
    anchors: dict[str, str]
    targets: list[str]


@dataclass
class Apparatus:
    """The outcome: problems (errors stop the build), notices for `check`, and what the
    generated sections hold."""

    problems: list[Diagnostic] = field(default_factory=list)
    notices: list[Diagnostic] = field(default_factory=list)
    references_html: str = ""  # empty: printed in place by `::: references`, or none
    numbering: crossrefs.Numbering = field(default_factory=crossrefs.Numbering)
    suggested_citation: str = ""
    reference_anchors: tuple[str, ...] = ()  # of the generated references section


def apply_apparatus(
    project: Project, metadata: Metadata | None, drafts: Sequence[Draft]
) -> Apparatus:
    """Amend the drafts' tokens in place (and their anchors with equation ids)."""
    result = Apparatus()
    result.problems += _equation_ids(drafts)
    documents = [crossrefs.Document(d.file, d.id, d.tokens, d.anchors) for d in drafts]
    result.numbering = crossrefs.number_targets(documents)
    result.problems += crossrefs.resolve(documents, result.numbering)
    result.problems += _prepare_math(drafts, result.numbering)
    if metadata is not None:
        _cite(project, metadata, drafts, result)
    return result


def _equation_ids(drafts: Sequence[Draft]) -> list[Diagnostic]:
    used = {final for d in drafts for final in (d.id, *d.anchors.values())}
    problems = []
    for draft in drafts:
        for token in draft.tokens:
            if token.type == "math_block_eq" and token.info:
                line = token.map[0] + 1 if token.map else None
                if token.info in used:
                    problems.append(
                        error("ID-DUPLICATE-EQUATION", f"id {token.info!r} is already used",
                              draft.file, line, hint="give each equation its own {#eq-…} id")
                    )  # fmt: skip
                    continue
                used.add(token.info)
                draft.anchors[token.info] = token.info
                draft.targets.append(token.info)
    return problems


def _prepare_math(drafts: Sequence[Draft], numbering: crossrefs.Numbering) -> list[Diagnostic]:
    problems = []
    for draft in drafts:
        for token in draft.tokens:
            line = token.map[0] + 1 if token.map else None
            for item in [token, *(token.children or [])]:
                if item.type not in math.MATH_TOKENS:
                    continue
                target = numbering.targets.get(item.info) if item.info else None
                try:
                    math.prepare(item, target.number if target else None, item.info or None)
                except math.MathError as exc:
                    problems.append(error("MATH-SYNTAX", str(exc), draft.file, line))
    return problems


def _cite(project: Project, metadata: Metadata, drafts: Sequence[Draft], result: Apparatus) -> None:
    from mxpublish.source import bibliography, references

    occurrences = [
        Occurrence(child, draft.file, _line(parent, child))
        for draft in drafts
        for parent, child in citation_tokens(draft.tokens)
    ]
    if not metadata.bibliography:
        for occurrence in occurrences:
            if not occurrence.token.meta.get("in_text"):  # `@name` alone stays text
                result.problems.append(
                    error("CITATION-NO-BIBLIOGRAPHY",
                          f"{occurrence.token.meta['written']} cites a work, but publication.yaml "
                          "names no bibliography", occurrence.file, occurrence.line,
                          hint="add `bibliography: references.bib` (or .json) to publication.yaml")
                )  # fmt: skip
        if metadata.suggested_citation or metadata.csl:
            _suggest(project, metadata, result)
        return
    try:
        entries = bibliography.load_entries(project, metadata)
        style = references.load_style(bibliography.style_path(project, metadata))
    except SourceError as exc:
        result.problems += exc.diagnostics
        return
    cited: CitedWork = references.cite_all(entries, style, occurrences)
    result.problems += cited.problems
    result.notices += cited.notices
    if cited.problems:
        return
    if cited.notes_style:
        for draft in drafts:
            draft.tokens[:] = citations_to_notes(draft.tokens)
    html = cited.references_html()
    anchors = [anchor for anchor, _ in cited.entries]
    placed = [
        (draft, token)
        for draft in drafts
        for token in draft.tokens
        if token.type == "container_references_open"
    ]
    for draft, token in placed[:1]:
        token.meta = {**token.meta, "html": f'<div class="references-block">\n{html}</div>\n'}
        draft.targets.extend(anchors)
    for draft, token in placed[1:]:
        line = token.map[0] + 1 if token.map else None
        message = "the references are already printed by an earlier `::: references` block"
        result.problems.append(error("REFERENCES-TWICE", message, draft.file, line))
    result.references_html = "" if placed else html
    result.reference_anchors = () if placed else tuple(anchors)
    if metadata.suggested_citation:
        result.suggested_citation = references.suggested_citation(metadata, style)


def _suggest(project: Project, metadata: Metadata, result: Apparatus) -> None:
    from mxpublish.source import bibliography, references

    try:
        style = references.load_style(bibliography.style_path(project, metadata))
    except SourceError as exc:
        result.problems += exc.diagnostics
        return
    if metadata.suggested_citation:
        result.suggested_citation = references.suggested_citation(metadata, style)


def _line(parent: Token, child: Token) -> int | None:
    if not parent.map:
        return None
    written = str(child.meta.get("written", ""))
    at = parent.content.find(written) if written else -1
    return parent.map[0] + 1 + (parent.content[:at].count("\n") if at > 0 else 0)


def generated_sections(
    metadata: Metadata, sections: Sequence[Section], apparatus: Apparatus
) -> tuple[tuple[Section, ...], tuple[Section, ...]]:
    """(before, after) the authors' sections: the list of figures and tables up front; the
    references and the "about this publication" page (suggested citation, revision history)
    at the back."""
    source = "source/publication.yaml"
    used = {a for s in sections for a in s.anchors}
    before: list[Section] = []
    lists = _figure_lists(metadata, apparatus.numbering)
    if lists:
        before.append(_section(0, source, _free(FIGURES_ID, used), "Figures and Tables", lists))
    after: list[Section] = []
    last = sections[-1].number if sections else 0
    if apparatus.references_html:
        ident = _free(REFERENCES_ID, used)
        html = apparatus.references_html
        references = _section(last + 1, source, ident, "References", html)
        after.append(replace(references, targets=apparatus.reference_anchors))
    about = about_html(metadata, apparatus.suggested_citation)
    if about:
        title = "About This Publication"
        after.append(_section(last + 1 + len(after), source, _free(ABOUT_ID, used), title, about))
    return tuple(before), tuple(after)


def _free(wanted: str, used: set[str]) -> str:
    final, n = wanted, 1
    while final in used:
        n += 1
        final = f"{wanted}-{n}"
    return final


def _section(number: int, source: str, ident: str, title: str, html: str) -> Section:
    return Section(number=number, source=source, id=ident, title=title, html=html, text="",
                   headings=(), generated=True)  # fmt: skip


def _figure_lists(metadata: Metadata, numbering: crossrefs.Numbering) -> str:
    parts = []
    for kind, label, targets in (
        ("figures", "Figures", numbering.figures),
        ("tables", "Tables", numbering.tables),
    ):
        if kind not in metadata.lists or not targets:
            continue
        items = "\n".join(_list_item(t) for t in targets)
        heading = f'<h2 id="list-of-{kind}">{label}</h2>\n'
        parts.append(f'{heading}<ol class="figure-list">\n{items}\n</ol>\n')
    return "".join(parts)


def _list_item(target: crossrefs.Target) -> str:
    text = f"{target.label} {target.number}. {escapeHtml(target.caption)}"
    if not target.id:
        return f"<li>{text}</li>"
    return f'<li><a class="xref" href="#{target.id}">{text}</a></li>'


def about_html(metadata: Metadata, suggested: str) -> str:
    """The suggested citation and the revision history, when publication.yaml asks for them."""
    parts = []
    if suggested:
        parts.append(
            '<h2 id="suggested-citation">Suggested Citation</h2>\n'
            f'<p class="suggested-citation">{suggested}</p>\n'
        )
    if metadata.revisions:
        rows = "\n".join(
            f'<tr><td><time datetime="{r.date.isoformat()}">'
            f"{_date(r.date, metadata.language)}</time></td><td>{escapeHtml(r.note)}</td></tr>"
            for r in metadata.revisions
        )
        parts.append(
            '<h2 id="revision-history">Revision History</h2>\n<table class="revisions">\n'
            '<thead><tr><th scope="col">Date</th><th scope="col">Change</th></tr></thead>\n'
            f"<tbody>\n{rows}\n</tbody>\n</table>\n"
        )
    return "".join(parts)


def _date(value: dt.date, language: str) -> str:
    if language.lower().startswith("en"):
        return f"{value:%B} {value.day}, {value.year}"
    return value.isoformat()
