"""Diagnostics and the error tree: the one vocabulary in which every stage reports problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a project; ``file`` is project-relative, ``line``/``col`` 1-based."""

    file: str | None
    line: int | None
    col: int | None
    code: str
    severity: Severity
    message: str
    hint: str | None = None

    def format(self) -> str:
        """Render as ``file:line:col: severity: CODE message`` (the form editors jump to)."""
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.col:
                    where += f":{self.col}"
            where += ": "
        text = f"{where}{self.severity.value}: {self.code} {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.col or 0, self.code)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }


def error(
    code: str,
    message: str,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(file, line, col, code, Severity.ERROR, message, hint)


def warning(
    code: str,
    message: str,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(file, line, col, code, Severity.WARNING, message, hint)


class MxError(Exception):
    """Base of every error the core raises; the CLI alone turns it into text and an exit code.

    Carries one or more diagnostics so that a run can report every source problem at once.
    """

    exit_code = 1

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def __reduce__(self) -> tuple[type[MxError], tuple[tuple[Diagnostic, ...]]]:
        # Keep the diagnostics when the error crosses a process boundary (parallel builds).
        return (type(self), (self.diagnostics,))


class UsageError(MxError):
    """The caller asked for something that does not exist (a format, a PDF variant)."""

    exit_code = 2


class ProjectError(MxError):
    """The project directory itself is unusable (not found, no publication.yaml)."""


class SourceError(MxError):
    """publication.yaml or a section is malformed, incomplete or inconsistent."""


class SandboxError(MxError):
    """A resource points outside the project or to the network."""


class RenderError(MxError):
    """A renderer (WeasyPrint, ebooklib) failed or reported a problem."""


class OutputError(MxError):
    """An output could not be written."""


def raise_if_errors(diagnostics: Iterable[Diagnostic], kind: type[MxError] = SourceError) -> None:
    """Raise ``kind`` carrying every error-severity diagnostic, if there is any."""
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise kind(errors)
