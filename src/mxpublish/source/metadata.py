"""publication.yaml → Metadata, with validation that reports every problem at once."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mxpublish.errors import Diagnostic, SandboxError, SourceError, error, raise_if_errors
from mxpublish.model import (
    FIGURE_LISTS,
    FOOTNOTE_NUMBERINGS,
    LANGUAGE_RE,
    PAPER_SIZES,
    PRINT_URLS,
    LintSettings,
    Metadata,
    Revision,
)
from mxpublish.project import Project
from mxpublish.source.schema import Field, decode_text, load_yaml_mapping, validate_mapping

PUBLICATION_SCHEMA: Mapping[str, Field] = {
    "title": Field("text", required=True),
    "subtitle": Field("text"),
    "short_title": Field("text"),
    "authors": Field("list", required=True),
    "date": Field("date", required=True),
    "language": Field("text", required=True),
    "identifier": Field("text", required=True),
    "publisher": Field("text"),
    "rights": Field("text"),
    "description": Field("text"),
    "keywords": Field("list"),
    "slug": Field("text"),
    "paper": Field("text"),
    "cover": Field("text"),
    "marking": Field("text"),
    "footnote_numbering": Field("choice", choices=FOOTNOTE_NUMBERINGS),
    "print_urls": Field("choice", choices=PRINT_URLS),
    "figure_numbers": Field("flag"),
    "allow_html": Field("flag"),
    "bibliography": Field("list"),
    "csl": Field("text"),
    "version": Field("text"),
    "updated": Field("date"),
    "revisions": Field("records"),
    "suggested_citation": Field("flag"),
    "lists": Field("list"),
    "check": Field("mapping"),
    "build": Field("mapping"),
    "serve": Field("mapping"),
}

#: The settings mappings of publication.yaml; `mxpublish config` shows how they combine with
#: the environment and the command line.
NESTED_SCHEMAS: Mapping[str, Mapping[str, Field]] = {
    "check": {
        "ignore": Field("list"),
        "ignore_in": Field("mapping"),
        "paragraph_words": Field("integer"),
        "strict": Field("flag"),
    },
    "build": {
        "formats": Field("list"),
        "output": Field("text"),
        "pdf_variant": Field("text"),
    },
    "serve": {"host": Field("text"), "port": Field("integer")},
}


_LENGTH_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(in|mm|cm|pt)\s*$")


def paper_css(value: str) -> str:
    """The CSS ``size`` for a paper setting: ``letter``, ``a4`` or ``"WIDTH HEIGHT"`` in
    in/mm/cm/pt (e.g. ``"6in 9in"``). Raises ValueError with the accepted forms."""
    named = PAPER_SIZES.get(value.strip().lower())
    if named:
        return named
    parts = value.replace("x", " ").replace("×", " ").split()
    lengths = [_LENGTH_RE.match(part) for part in parts]
    if len(parts) == 2 and all(lengths):
        return " ".join(f"{m.group(1)}{m.group(2)}" for m in lengths if m)
    raise ValueError(
        f'paper {value!r} is not letter, a4 or two lengths such as "6in 9in" or "148mm 210mm"'
    )


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens; stable, so ids and file names never drift."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "section"


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class ConfigFile:
    """publication.yaml as read: its top-level mapping, the line of each key, its name."""

    data: Mapping[str, Any]
    lines: Mapping[str, int]
    file: str


def read_config(project: Project) -> ConfigFile:
    """Read publication.yaml once (settings and metadata both use the result).

    Raises SandboxError for a link out of the project, SourceError if it cannot be read or
    is not a YAML mapping."""
    file = project.relative(project.config_path)
    link_out = project.link_out(project.config_path)
    if link_out:
        raise SandboxError(link_out)
    try:
        raw = project.config_path.read_bytes()
    except OSError as exc:
        raise SourceError(error("SOURCE-UNREADABLE", f"cannot read: {exc.strerror}", file)) from exc
    data, lines = load_yaml_mapping(decode_text(raw, file), file)
    return ConfigFile(data, lines, file)


def load_metadata(project: Project, config: ConfigFile | None = None) -> Metadata:
    """Validate publication.yaml (read now unless ``config`` is given) into Metadata; raise
    SourceError with every problem found."""
    config = config or read_config(project)
    data, lines, file = dict(config.data), dict(config.lines), config.file
    problems = _problems(data, lines, file)
    lint, lint_problems = _lint_settings(data.get("check"), file, lines.get("check"))
    problems += lint_problems
    revisions, revision_problems = _revisions(data.get("revisions"), file, lines.get("revisions"))
    problems += revision_problems
    for name in _as_list(data.get("lists")):
        if name not in FIGURE_LISTS:
            message = f"`lists` may hold {' and '.join(FIGURE_LISTS)}, not {name!r}"
            problems.append(error("SCHEMA-VALUE", message, file, lines.get("lists")))
    raise_if_errors(problems)
    return _metadata(data, lint, revisions)


def _problems(data: dict[str, Any], lines: dict[str, int], file: str) -> list[Diagnostic]:
    """Schema problems of publication.yaml, then malformed values, then nested mappings'."""
    problems = validate_mapping(data, lines, PUBLICATION_SCHEMA, file, 1)
    checks: list[tuple[str, Callable[[Any], str | None]]] = [
        ("language", _language_problem),
        ("identifier", _identifier_problem),
    ]
    for key, check in checks:
        if data.get(key) not in (None, ""):
            problem = check(data[key])
            if problem:
                problems.append(error("SCHEMA-VALUE", f"`{key}` {problem}", file, lines.get(key)))
    if data.get("paper") is not None:
        try:
            paper_css(str(data["paper"]))
        except ValueError as exc:
            problems.append(error("SCHEMA-VALUE", f"`paper`: {exc}", file, lines.get("paper")))
    if data.get("slug") is not None and slugify(str(data["slug"])) != str(data["slug"]):
        problems.append(
            error(
                "SCHEMA-VALUE",
                "`slug` may hold only a-z, 0-9 and hyphens",
                file,
                lines.get("slug"),
                hint=f"for example `{slugify(str(data['slug']))}`",
            )
        )
    for key, schema in NESTED_SCHEMAS.items():
        if isinstance(data.get(key), dict):
            nested = {str(k): v for k, v in data[key].items()}
            problems += validate_mapping(nested, {}, schema, file, lines[key], prefix=f"{key}.")
    return problems


def _metadata(
    data: dict[str, Any], lint: LintSettings, revisions: tuple[Revision, ...] = ()
) -> Metadata:
    """The validated mapping as a Metadata record, defaults filled in."""
    title = str(data["title"]).strip()
    return Metadata(
        title=title,
        subtitle=_text(data.get("subtitle")),
        short_title=_text(data.get("short_title")),
        authors=_as_list(data["authors"]),
        date=_as_date(data["date"]),
        language=str(data["language"]),
        identifier=str(data["identifier"]),
        publisher=_text(data.get("publisher")),
        rights=_text(data.get("rights")),
        description=_text(data.get("description")),
        keywords=_as_list(data.get("keywords")),
        slug=str(data.get("slug") or slugify(title)),
        paper=str(data.get("paper") or "letter").strip().lower(),
        cover=_text(data.get("cover")),
        marking=_text(data.get("marking")),
        lint=lint,
        footnote_numbering=str(data.get("footnote_numbering") or "document").lower(),
        print_urls=str(data.get("print_urls") or "footnote").lower(),
        figure_numbers=bool(data.get("figure_numbers")),
        allow_html=data.get("allow_html") is True,
        bibliography=_as_list(data.get("bibliography")),
        csl=_text(data.get("csl")),
        version=_text(data.get("version")),
        updated=_as_date(data["updated"]) if data.get("updated") else _latest(revisions, data),
        revisions=revisions,
        suggested_citation=data.get("suggested_citation") is True,
        lists=_as_list(data.get("lists")),
    )


def _latest(revisions: tuple[Revision, ...], data: dict[str, Any]) -> dt.date | None:
    """Without ``updated:``, the latest revision after the publication date updates it."""
    latest = max((r.date for r in revisions), default=None)
    return latest if latest and latest > _as_date(data["date"]) else None


def _revisions(
    value: Any, file: str, line: int | None
) -> tuple[tuple[Revision, ...], list[Diagnostic]]:
    """``revisions:`` → Revision records, as written; each is a `date:` and a `note:`."""
    if not isinstance(value, list):
        return (), []
    found, problems = [], []
    for item in value:
        if not isinstance(item, dict):
            continue
        try:
            date = _as_date(item.get("date"))
        except (TypeError, ValueError):
            message = "each revision needs `date: YYYY-MM-DD`"
            problems.append(error("SCHEMA-VALUE", message, file, line))
            continue
        note = _text(item.get("note"))
        unknown = sorted(set(map(str, item)) - {"date", "note"})
        if not note or unknown:
            message = "each revision is `date:` and `note:`" + (
                f", not {', '.join(unknown)}" if unknown else ""
            )
            problems.append(error("SCHEMA-VALUE", message, file, line))
            continue
        found.append(Revision(date, note))
    return tuple(found), problems


def _lint_settings(
    value: Any, file: str, line: int | None
) -> tuple[LintSettings, list[Diagnostic]]:
    """``check:`` → LintSettings; rule ids are checked by the linter, which knows them."""
    if not isinstance(value, dict):
        return LintSettings(), []
    problems = []
    ignore_in: list[tuple[str, tuple[str, ...]]] = []
    patterns = value.get("ignore_in")
    for pattern, ids in (patterns if isinstance(patterns, dict) else {}).items():
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            problems.append(
                error(
                    "SCHEMA-TYPE",
                    f"`check.ignore_in` maps a file pattern to a list of rule ids; "
                    f"{pattern!r} does not",
                    file,
                    line,
                )
            )
            continue
        ignore_in.append((str(pattern), tuple(ids)))
    words = value.get("paragraph_words")
    if isinstance(words, int) and words < 1:
        problems.append(
            error("SCHEMA-VALUE", "`check.paragraph_words` must be 1 or more", file, line)
        )
    settings = LintSettings(
        ignore=_as_list(value.get("ignore")),
        ignore_in=tuple(ignore_in),
        paragraph_words=words
        if isinstance(words, int) and words > 0
        else LintSettings.paragraph_words,
        line=line,
    )
    return settings, problems


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _language_problem(value: Any) -> str | None:
    if not LANGUAGE_RE.match(str(value)):
        return f"must be a BCP 47 language tag such as en-US, not {value!r}"
    return None


def _identifier_problem(value: Any) -> str | None:
    text = str(value)
    if text.startswith("urn:uuid:"):
        try:
            uuid.UUID(text.removeprefix("urn:uuid:"))
        except ValueError:
            return f"is not a valid urn:uuid: {text!r}"
        return None
    if ":" not in text:
        return "must be a URN or URI, e.g. urn:uuid:… or urn:isbn:…"
    return None
