"""publication.yaml → Metadata, with validation that reports every problem at once."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from mxpublish.errors import Diagnostic, SandboxError, SourceError, error, raise_if_errors
from mxpublish.model import FOOTNOTE_NUMBERINGS, PAPER_SIZES, PRINT_URLS, LintSettings, Metadata
from mxpublish.project import Project

_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping: its type check and whether it must be there."""

    kind: str  # "text", "list", "date", "choice", "integer", "flag", "mapping"
    required: bool = False
    choices: tuple[str, ...] = ()


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
    "version": Field("text"),
    "footnote_numbering": Field("choice", choices=FOOTNOTE_NUMBERINGS),
    "print_urls": Field("choice", choices=PRINT_URLS),
    "figure_numbers": Field("flag"),
    "allow_html": Field("flag"),
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


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text with a BOM dropped and CRLF/CR line endings made LF.

    Raises SourceError naming the line and byte offset of the first invalid byte, or the first
    control character (invisible in print and not allowed in the EPUB's XHTML).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        raise SourceError(
            error(
                "SOURCE-ENCODING",
                f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}",
                file,
                line,
                col,
                hint="the file is UTF-16; save it as UTF-8" if utf16 else "save the file as UTF-8",
            )
        ) from exc
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = FORBIDDEN_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise SourceError(
            error(
                "SOURCE-CONTROL-CHAR",
                f"{char_name(bad.group())} is not allowed in text",
                file,
                line,
                col,
                hint="delete it: it is invisible in print and not allowed in EPUB (XHTML)",
            )
        )
    return text


#: Characters XML 1.0 (and so EPUB) forbids or HTML treats as errors: C0/C1 controls except
#: tab and newline, lone surrogates (only reachable through YAML escapes) and noncharacters.
FORBIDDEN_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17))
    + "]"
)


def char_name(char: str) -> str:
    """``control character U+0001`` (or the Unicode category's word) for messages."""
    kind = "control character" if unicodedata.category(char) == "Cc" else "character"
    return f"{kind} U+{ord(char):04X}"


def load_yaml_mapping(
    text: str, file: str, first_line: int = 1
) -> tuple[dict[str, Any], dict[str, int]]:
    """Safely parse a YAML mapping; return it with the line of each top-level key.

    ``first_line`` is the file line on which ``text`` starts (front matter starts after ``---``).
    Raises SourceError for bad syntax, values YAML cannot construct (``date: 2024-13-45``),
    nesting too deep to parse, duplicate keys and anything but a mapping.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise _yaml_error(f"invalid YAML: {problem}", file, first_line, mark) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not accept
        line = text.count("\n", 0, exc.position)
        raise SourceError(
            error(
                "YAML-SYNTAX",
                f"invalid YAML: {char_name(chr(exc.character))} is not allowed",
                file,
                first_line + line,
            )
        ) from exc
    except RecursionError as exc:
        raise _yaml_error("invalid YAML: nested too deeply", file, first_line, None) from exc
    if node is None:
        return {}, {}
    if not isinstance(node, yaml.MappingNode):
        raise SourceError(
            error("YAML-NOT-MAPPING", "expected `key: value` lines", file, first_line)
        )
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = first_line + key_node.start_mark.line
        try:
            key = _construct(key_node)
            value = _construct(value_node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            raise _yaml_error(f"invalid YAML: {problem}", file, first_line, mark) from exc
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            written = f" {value_node.value!r}" if isinstance(value_node, yaml.ScalarNode) else ""
            reason = f": {exc}" if isinstance(exc, ValueError) else ""
            mark = value_node.start_mark
            raise SourceError(
                error(
                    "YAML-VALUE",
                    f"invalid value{written}{reason}",
                    file,
                    first_line + mark.line,
                    mark.column + 1,
                    hint='put the value in quotes ("...") to keep it as text',
                )
            ) from exc
        if not isinstance(key, str | int | float | bool | dt.date):
            raise _yaml_error(
                "invalid YAML: a key must be a word", file, first_line, key_node.start_mark
            )
        name = str(key)
        if name in lines:
            raise SourceError(
                error(
                    "YAML-DUPLICATE-KEY",
                    f"key `{name}` appears twice (first on line {lines[name]})",
                    file,
                    line,
                    hint="keep one of them",
                )
            )
        data[name], lines[name] = value, line
    return data, lines


def _construct(node: yaml.Node) -> Any:
    """The Python value of one composed node, built with the safe constructor only."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _yaml_error(message: str, file: str, first_line: int, mark: Any) -> SourceError:
    return SourceError(
        error(
            "YAML-SYNTAX",
            message,
            file,
            first_line + mark.line if mark else first_line,
            mark.column + 1 if mark else None,
            hint="check indentation, colons and quotes",
        )
    )


def validate_mapping(
    data: Mapping[str, Any],
    lines: Mapping[str, int],
    schema: Mapping[str, Field],
    file: str,
    line: int,
    prefix: str = "",
) -> list[Diagnostic]:
    """Every problem of ``data`` against ``schema``: missing, unknown (with "did you mean")
    and wrongly typed keys. ``line`` is where the mapping starts, for missing keys;
    ``prefix`` names a nested mapping in messages (``check.``)."""
    problems: list[Diagnostic] = []
    for key, spec in schema.items():
        if spec.required and (key not in data or data[key] in (None, "", [])):
            problems.append(
                error(
                    "SCHEMA-MISSING",
                    f"required key `{prefix}{key}` is missing or empty",
                    file,
                    line,
                )
            )
    for key, value in data.items():
        where = lines.get(key, line)
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = (
                f"did you mean `{close[0]}`?"
                if close
                else ("known keys: " + ", ".join(sorted(schema)))
            )
            problems.append(
                error("SCHEMA-UNKNOWN", f"unknown key `{prefix}{key}`", file, where, hint=hint)
            )
            continue
        if value is None:
            continue
        problem = _type_problem(schema[key], value)
        if problem:
            problems.append(error("SCHEMA-TYPE", f"`{prefix}{key}` {problem}", file, where))
    return problems


def _type_problem(spec: Field, value: Any) -> str | None:
    for item in value if isinstance(value, list) else [value]:
        bad = FORBIDDEN_CHARS.search(item) if isinstance(item, str) else None
        if bad:
            return f"contains {char_name(bad.group())}, which is not allowed in text"
    if spec.kind == "text":
        return (
            None
            if isinstance(value, str | int | float) and not isinstance(value, bool)
            else "must be text"
        )
    if spec.kind == "list":
        if isinstance(value, str):
            return None  # a single item is accepted as a one-item list
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            return "must be a list of text items"
        return None
    if spec.kind == "date":
        if isinstance(value, dt.datetime | dt.date):
            return None
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return f"must be a date as YYYY-MM-DD, not {value!r}"
            return None
        return "must be a date as YYYY-MM-DD"
    if spec.kind == "integer":
        return (
            None if isinstance(value, int) and not isinstance(value, bool) else "must be a number"
        )
    if spec.kind == "flag":
        return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
    if spec.kind == "mapping":
        return None if isinstance(value, dict) else "must be a mapping of `key: value` lines"
    if spec.kind == "choice" and str(value).lower() not in spec.choices:
        return f"must be one of {', '.join(spec.choices)}, not {value!r}"
    return None


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


def load_metadata(project: Project) -> Metadata:
    """Read and validate publication.yaml; raise SourceError with every problem found."""
    file = project.relative(project.config_path)
    link_out = project.link_out(project.config_path)
    if link_out:
        raise SandboxError(link_out)
    try:
        raw = project.config_path.read_bytes()
    except OSError as exc:
        raise SourceError(error("SOURCE-UNREADABLE", f"cannot read: {exc.strerror}", file)) from exc
    data, lines = load_yaml_mapping(decode_text(raw, file), file)
    problems = validate_mapping(data, lines, PUBLICATION_SCHEMA, file, 1)
    checks: list[tuple[str, Callable[[Any], str | None]]] = [
        ("language", _language_problem),
        ("identifier", _identifier_problem),
        ("version", _version_problem),
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
    lint, lint_problems = _lint_settings(data.get("check"), file, lines.get("check"))
    problems += lint_problems
    raise_if_errors(problems)
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
        version=_text(data.get("version")),
        lint=lint,
        footnote_numbering=str(data.get("footnote_numbering") or "document").lower(),
        print_urls=str(data.get("print_urls") or "footnote").lower(),
        figure_numbers=bool(data.get("figure_numbers")),
        allow_html=data.get("allow_html") is True,
    )


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
    if not _LANGUAGE_RE.match(str(value)):
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


def _version_problem(value: Any) -> str | None:
    """The edition's version names the distribution folder: a few safe characters only."""
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._+-]{0,39}", str(value)):
        return f"must be a short version such as 1.0 or 2024-06, not {value!r}"
    return None
