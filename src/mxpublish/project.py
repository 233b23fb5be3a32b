"""Where a publication project's parts live, confinement of paths to it, and atomic writes."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mxpublish.errors import Diagnostic, OutputError, ProjectError, SandboxError, error

CONFIG_NAME = "publication.yaml"
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Project:
    """A publication project: ``source/`` (sections + publication.yaml), optional ``styles/``
    and ``templates/`` that override the theme file by file, and ``build/`` for outputs."""

    root: Path

    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def config_path(self) -> Path:
        return self.source_dir / CONFIG_NAME

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def relative(self, path: Path) -> str:
        """Project-relative POSIX path for messages: the path as named (a symlink is named,
        not its target) if it lies in the project, else its resolved form, else absolute."""
        for candidate in (Path(os.path.abspath(path)), path.resolve()):
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                continue
        return str(path)

    def contains(self, path: Path) -> bool:
        """True when ``path``, with symlinks resolved, lies inside the project."""
        try:
            path.resolve().relative_to(self.root)
        except ValueError:
            return False
        return True

    def link_out(self, path: Path) -> Diagnostic | None:
        """The error for a project file (a section, a stylesheet…) that is a symbolic link to
        a file outside the project; None if it stays inside or does not exist."""
        if not path.exists() or self.contains(path):
            return None
        return error(
            "SANDBOX-ESCAPE",
            "is a symbolic link to a file outside the project",
            self.relative(path),
            hint="copy the file into the project instead of linking to it",
        )

    def resolve_inside(
        self, reference: str, base: Path, *, file: str | None = None, line: int | None = None
    ) -> Path:
        """Resolve a relative ``reference`` written in ``base`` (a directory), refusing escapes.

        Raises SandboxError for URLs (``http:``, ``file:``, ``//host``…: nothing is fetched),
        absolute paths, ``..`` escapes and symlinks that leave the project.
        """
        if _URL_RE.match(reference) or reference.startswith("//"):
            raise SandboxError(
                error(
                    "SANDBOX-URL",
                    f"{reference!r} is a URL; builds never fetch anything from the network "
                    "or from outside the project",
                    file,
                    line,
                    hint="save the file in the project and refer to it by its relative path",
                )
            )
        if os.path.isabs(reference) or reference.startswith("~"):
            raise SandboxError(
                error(
                    "SANDBOX-ABSOLUTE",
                    f"absolute path {reference!r} is not allowed",
                    file,
                    line,
                    hint="refer to files inside the project with relative paths",
                )
            )
        target = None if "\x00" in reference else (base / reference).resolve()
        if target is None or not self.contains(target):
            raise SandboxError(
                error(
                    "SANDBOX-ESCAPE",
                    f"{reference!r} points outside the project",
                    file,
                    line,
                    hint="keep the file inside the project and refer to it by a relative path",
                )
            )
        return target


def find_project(path: Path | str) -> Project:
    """Locate the project at ``path``; raise ProjectError naming what is missing."""
    root = Path(path).resolve()
    if not root.is_dir():
        raise ProjectError(error("PROJECT-MISSING", f"project directory {str(path)!r} not found"))
    project = Project(root)
    if not project.config_path.is_file():
        raise ProjectError(
            error(
                "PROJECT-NO-CONFIG",
                f"{project.relative(project.config_path)} not found in {root}",
                hint="run `mxpublish init DIR` to create a new project",
            )
        )
    return project


def check_writable(directory: Path) -> None:
    """Create ``directory`` if needed and prove a file can be made in it, before a long render.

    Raises OutputError naming the directory and the system's reason.
    """
    if directory.exists() and not directory.is_dir():
        raise OutputError(
            error(
                "OUTPUT-UNWRITABLE", f"cannot write to {directory}: it is a file, not a directory"
            )
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".mxpublish-", suffix=".tmp", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            error("OUTPUT-UNWRITABLE", f"cannot write to {directory}: {exc.strerror}")
        ) from exc


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The temporary file lives in the target directory (same filesystem, so ``os.replace`` is
    atomic) and is removed if anything fails, including KeyboardInterrupt.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            error("OUTPUT-UNWRITABLE", f"cannot write to {path.parent}: {exc.strerror}")
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(
                error("OUTPUT-UNWRITABLE", f"cannot write {path}: {exc.strerror}")
            ) from exc
        raise
