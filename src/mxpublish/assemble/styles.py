"""Project stylesheets made self-contained: every ``url()`` checked against the sandbox rule and
inlined as a ``data:`` URI, so no edition fetches anything from outside the project."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

import tinycss2
from tinycss2.ast import URLToken

from mxpublish.errors import Diagnostic, SandboxError, SourceError, error, raise_if_errors
from mxpublish.project import Project

#: CSS functions whose string arguments are URLs.
_URL_STRING_FUNCTIONS = ("image-set", "-webkit-image-set")
#: Inlined files larger than this are refused: a stylesheet is no place for big media.
MAX_INLINE_BYTES = 2_000_000
#: Python's built-in table only: the system's mime.types would make builds machine-dependent.
_MEDIA_TYPES = mimetypes.MimeTypes()


def inline_resources(text: str, path: Path, project: Project) -> str:
    """``text`` (the stylesheet at ``path``) with each ``url()`` to a project file replaced by
    a ``data:`` URI. References resolve relative to the stylesheet's directory.

    Raises SandboxError/SourceError listing every ``@import``, URL to the network, path out of
    the project and missing file, each with its line; nothing is read outside the project.
    """
    file = project.relative(path)
    nodes = tinycss2.parse_stylesheet(text, skip_comments=False, skip_whitespace=False)
    problems: list[Diagnostic] = []
    for node in nodes:
        if node.type == "at-rule" and node.lower_at_keyword == "import":
            problems.append(
                error(
                    "STYLE-IMPORT",
                    "@import is not supported",
                    file,
                    node.source_line,
                    hint="put the rules in styles/custom.css itself",
                )
            )
    _rewrite(nodes, path.parent, project, file, problems, in_url_function=False)
    sandbox = any(p.code.startswith("SANDBOX") for p in problems)
    raise_if_errors(problems, SandboxError if sandbox else SourceError)
    return tinycss2.serialize(nodes)


def _rewrite(
    nodes: list[Any],
    base: Path,
    project: Project,
    file: str,
    problems: list[Diagnostic],
    *,
    in_url_function: bool,
) -> None:
    for index, node in enumerate(nodes):
        reference = None
        if node.type == "url" or (node.type == "string" and in_url_function):
            reference = node.value
        elif node.type == "function" and node.lower_name == "url":
            strings = [a for a in node.arguments if a.type == "string"]
            reference = strings[0].value if strings else ""
        if reference is not None:
            uri = _data_uri(reference, base, project, file, node.source_line, problems)
            nodes[index] = URLToken(node.source_line, node.source_column, uri, f'url("{uri}")')
            continue
        for attribute in ("prelude", "content", "arguments"):
            children = getattr(node, attribute, None)
            if isinstance(children, list):
                inside = node.type == "function" and node.lower_name in _URL_STRING_FUNCTIONS
                _rewrite(children, base, project, file, problems, in_url_function=inside)


def _data_uri(
    reference: str, base: Path, project: Project, file: str, line: int, problems: list[Diagnostic]
) -> str:
    if reference.startswith(("data:", "#")) or not reference:
        return reference
    try:
        target = project.resolve_inside(reference, base, file=file, line=line)
    except SandboxError as exc:
        problems.extend(exc.diagnostics)
        return ""
    if not target.is_file():
        problems.append(
            error(
                "RESOURCE-MISSING",
                f"{reference!r} not found",
                file,
                line,
                hint=f"looked for {project.relative(target)}",
            )
        )
        return ""
    size = target.stat().st_size
    if size > MAX_INLINE_BYTES:
        problems.append(
            error(
                "RESOURCE-TOO-LARGE",
                f"{reference!r} is {size / 1e6:.1f} MB; stylesheets may use files up to "
                f"{MAX_INLINE_BYTES / 1e6:.0f} MB",
                file,
                line,
            )
        )
        return ""
    try:
        data = target.read_bytes()
    except OSError as exc:
        problems.append(
            error("SOURCE-UNREADABLE", f"cannot read {reference!r}: {exc.strerror}", file, line)
        )
        return ""
    media_type = _MEDIA_TYPES.guess_type(target.name)[0] or "application/octet-stream"
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
