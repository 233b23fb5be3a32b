"""One citeproc pass over every citation of the publication, in reading order.

citeproc-py formats each citation cluster and the bibliography in the chosen CSL style; this
module links every cited work to its entry, emulates Pandoc's author-in-text (``@key``) and
suppressed-author (``[-@key]``) forms, which citeproc-py lacks, and reports unknown keys with
their file, line and a "did you mean".
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from mxpublish.errors import Diagnostic, Severity, error
from mxpublish.source.bibliography import Entry
from mxpublish.source.citations import Cite

_OPEN, _CLOSE, _AUTHOR = "\ue000", "\ue001", "\ue002"
_LINK_RE = re.compile(_OPEN + "(.)")
_ANCHOR_RE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass
class CitedWork:
    """The output of the pass: each citation's HTML is in its token; this holds the rest."""

    entries: list[tuple[str, str]] = field(default_factory=list)  # (anchor, entry HTML)
    notes_style: bool = False
    problems: list[Diagnostic] = field(default_factory=list)
    notices: list[Diagnostic] = field(default_factory=list)

    def references_html(self) -> str:
        items = "\n".join(
            f'<li class="csl-entry" id="{anchor}">{html}</li>' for anchor, html in self.entries
        )
        return f'<ul class="references" role="list">\n{items}\n</ul>\n' if items else ""


@dataclass(frozen=True)
class Occurrence:
    """A citation token and where it is written."""

    token: Token
    file: str
    line: int | None


def escaped(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a CSL-JSON record with its text HTML-escaped: citeproc-py's HTML formatter
    puts field values into its markup as they are ("Taylor & Francis" would break XHTML)."""

    def escape(value: Any) -> Any:
        if isinstance(value, str):
            return escapeHtml(value)
        if isinstance(value, list):
            return [escape(v) for v in value]
        if isinstance(value, dict):
            return {k: escape(v) for k, v in value.items()}
        return value

    return {key: value if key == "id" else escape(value) for key, value in record.items()}


def load_style(path: Any) -> Any:
    from citeproc import CitationStylesStyle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CitationStylesStyle(str(path), validate=False)


def is_note_style(style: Any) -> bool:
    return str(style.root.get("class")) == "note"


def entry_anchor(key: str) -> str:
    return "ref-" + _ANCHOR_RE.sub("-", key.lower()).strip("-")


def cite_all(entries: dict[str, Entry], style: Any, occurrences: Sequence[Occurrence]) -> CitedWork:
    """Fill ``meta["html"]`` of every citation token and format the cited entries.

    Unknown keys become errors (nothing is formatted then); entries never cited become
    ``BIBLIOGRAPHY-UNCITED`` info notices."""
    result = CitedWork(notes_style=is_note_style(style))
    known = sorted(entries)
    for occurrence in occurrences:
        for cite in occurrence.token.meta["cites"]:
            if cite.key.lower() not in entries:
                close = difflib.get_close_matches(cite.key.lower(), known, n=1)
                result.problems.append(
                    error(
                        "CITATION-UNKNOWN",
                        f"no work with the key @{cite.key} in the bibliography",
                        occurrence.file,
                        occurrence.line,
                        hint=f"did you mean @{entries[close[0]].key}?" if close else None,
                    )
                )
    if result.problems:
        return result
    records = [escaped(e.csl) for e in entries.values()]
    bib, citations = _register(records, style, occurrences)
    anchors = {key: entry_anchor(key) for key in entries}
    variants: dict[str, Any] = {}  # per key: the pass again with that author marked ("": order)
    for index, (occurrence, citation) in enumerate(zip(occurrences, citations, strict=True)):
        raw = str(bib.cite(citation, _missing))
        cites: list[Cite] = occurrence.token.meta["cites"]
        variants.setdefault("", bib.keys)
        html = _emulate_forms(raw, records, style, occurrences, index, variants, result)
        linked = _links(html, cites, anchors)
        occurrence.token.meta["html"] = f'<span class="citation">{linked}</span>'
        if result.notes_style and occurrence.token.meta.get("in_text"):
            occurrence.token.meta["author_html"] = _names(records, cites[0].key.lower())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formatted = [str(item) for item in bib.bibliography()]
    result.entries = [(anchors[key], html) for key, html in zip(bib.keys, formatted, strict=True)]
    for key in sorted(set(entries) - set(bib.keys)):
        entry = entries[key]
        result.notices.append(
            Diagnostic(
                entry.file,
                entry.line,
                None,
                "BIBLIOGRAPHY-UNCITED",
                Severity.INFO,
                f"@{entry.key} is never cited, so it is not in the references",
            )
        )
    return result


def _missing(item: Any) -> str:
    return f"{item.key}?"


def _register(
    records: list[dict[str, Any]],
    style: Any,
    occurrences: Sequence[Occurrence],
    order: Sequence[str] = (),
) -> Any:
    """A citeproc bibliography with every citation registered, then sorted by the style, or
    put in ``order`` (the keys of an earlier pass: sorting is citeproc-py's slowest step)."""
    from citeproc import Citation, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bib = CitationStylesBibliography(style, CiteProcJSON(records), formatter.html)
        citations = [Citation(_items(o.token.meta["cites"])) for o in occurrences]
        for citation in citations:
            bib.register(citation)
        if order:
            position = {key: index for index, key in enumerate(order)}
            bib.items = sorted(bib.items, key=lambda item: position[item.key])
            bib.keys = [item.key for item in bib.items]
        else:
            bib.sort()
    return bib, citations


def _items(cites: Sequence[Cite]) -> list[Any]:
    """citeproc items; each cite's output is wrapped in private-use markers (its index after
    the opening one) so that the formatted cluster can be linked work by work."""
    from citeproc import CitationItem, Locator

    items = []
    for index, cite in enumerate(cites):
        prefix, suffix = _unmarked(cite.prefix), _unmarked(cite.suffix)
        options: dict[str, Any] = {
            "prefix": (escapeHtml(prefix) + " " if prefix else "") + _OPEN + chr(index),
            "suffix": _CLOSE + escapeHtml(suffix),
        }
        if cite.locator:
            options["locator"] = Locator(cite.label or "page", cite.locator)
        items.append(CitationItem(cite.key, **options))
    return items


def _unmarked(text: str) -> str:
    """Text without the private-use characters this module marks citeproc's output with."""
    return text.translate({ord(c): None for c in (_OPEN, _CLOSE, _AUTHOR)})


def _links(html: str, cites: Sequence[Cite], anchors: dict[str, str]) -> str:
    def link(match: re.Match[str]) -> str:
        key = cites[ord(match.group(1))].key.lower()
        return f'<a class="citation-link" href="#{anchors[key]}">'

    return _LINK_RE.sub(link, html).replace(_CLOSE, "</a>")


def _emulate_forms(
    raw: str,
    records: list[dict[str, Any]],
    style: Any,
    occurrences: Sequence[Occurrence],
    index: int,
    variants: dict[str, Any],
    result: CitedWork,
) -> str:
    """Pandoc's ``@key`` (author, then the citation without it) and ``[-@key]`` (the citation
    without the author): the author's part is found by formatting the cluster again with the
    author replaced by a marker, in a copy of the whole pass so numbering stays the same."""
    occurrence = occurrences[index]
    cites: Sequence[Cite] = occurrence.token.meta["cites"]
    in_text = bool(occurrence.token.meta.get("in_text"))
    if result.notes_style or not (in_text or any(c.suppress_author for c in cites)):
        return raw
    key = cites[0].key.lower()
    if key not in variants:
        marked = [_with_marked_author(r) if str(r["id"]).lower() == key else r for r in records]
        variants[key] = _register(marked, style, occurrences, order=variants[""])
    bib, citations = variants[key]
    again = str(bib.cite(citations[index], _missing))
    at = again.find(_AUTHOR)
    before, after = again[:at], again[at + 1 :]
    if at < 0 or not (raw.startswith(before) and raw.endswith(after)):
        author = _names(records, key)
        return f"{author} {raw}" if in_text else raw
    author = raw[len(before) : len(raw) - len(after)]
    without = before + re.sub(r"^[\s,]+", "", after)
    if not in_text:
        return without
    return f"{_OPEN}{chr(0)}{author}{_CLOSE} {without}"


def _with_marked_author(record: dict[str, Any]) -> dict[str, Any]:
    marked = dict(record)
    for role in ("author", "editor"):
        if role in marked:
            marked[role] = [{"literal": _AUTHOR}]
            break
    return marked


def _names(records: list[dict[str, Any]], key: str) -> str:
    """The authors' family names (Smith; Smith and Jones; Smith et al.), for styles whose
    citations name no author (numeric); ``records`` are escaped already."""
    record = next(r for r in records if str(r["id"]).lower() == key)
    people = record.get("author") or record.get("editor") or []
    names = [str(p.get("family") or p.get("literal") or "") for p in people]
    if not names:
        return str(record.get("title", key))
    if len(names) > 2:
        return f"{names[0]} et al."
    return " and ".join(names)


def suggested_citation(metadata: Any, style: Any) -> str:
    """The publication itself as a bibliography entry in ``style`` (a report: title,
    authors as written, publisher, date of this version, version, identifier as URL/DOI)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    issued = metadata.updated or metadata.date
    record: dict[str, Any] = {
        "id": "this-publication",
        "type": "report",
        "title": metadata.title,
        "author": [{"literal": name} for name in metadata.authors],
        "issued": {"date-parts": [[issued.year, issued.month, issued.day]]},
    }
    if metadata.publisher:
        record["publisher"] = metadata.publisher
    if metadata.version:
        record["version"] = metadata.version
    if metadata.identifier.startswith(("http://", "https://")):
        record["URL"] = metadata.identifier
    elif metadata.identifier.startswith("doi:"):
        record["DOI"] = metadata.identifier.removeprefix("doi:")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bib = CitationStylesBibliography(style, CiteProcJSON([escaped(record)]), formatter.html)
        bib.register(Citation([CitationItem("this-publication")]))
        return str(bib.bibliography()[0])
