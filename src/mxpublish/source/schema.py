"""Source text decoded strictly and YAML mappings read safely, then checked against a schema
that reports every problem at once (used by publication.yaml and section front matter)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from mxpublish.errors import Diagnostic, SourceError, error


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping: its type check and whether it must be there."""

    kind: str  # "text", "list", "date", "choice", "integer", "flag", "mapping", "records"
    required: bool = False
    choices: tuple[str, ...] = ()


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
    return _entries(node, file, first_line)


def _entries(
    node: yaml.MappingNode, file: str, first_line: int
) -> tuple[dict[str, Any], dict[str, int]]:
    """The keys and values of a composed mapping, each built on its own so that a bad value
    is reported at its line; duplicate keys are refused."""
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
    if spec.kind == "records":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return "must be a list of `- date: YYYY-MM-DD` / `note: …` entries"
        return None
    if spec.kind == "mapping":
        return None if isinstance(value, dict) else "must be a mapping of `key: value` lines"
    if spec.kind == "choice" and str(value).lower() not in spec.choices:
        return f"must be one of {', '.join(spec.choices)}, not {value!r}"
    return None
