"""Rebuild on change: watch a project's sources, styles and templates (watchfiles) and rebuild
the formats a change can affect. ``serve`` uses the same watcher for its live preview."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mxpublish.build import BuildOptions, Output, build
from mxpublish.editions import EDITIONS, EPUB, FORMATS
from mxpublish.errors import Diagnostic, MxError
from mxpublish.progress import Progress
from mxpublish.project import Project, find_project
from mxpublish.source.memo import keep_between_loads

WATCHED = ("source", "styles", "templates")
#: A project stylesheet that only one edition reads → that edition's format.
_MEDIUM_STYLES = {e.stylesheet: e.format for e in EDITIONS}


@dataclass(frozen=True)
class Rebuild:
    """One build done on behalf of a change (``changed`` is empty for the first build)."""

    changed: tuple[str, ...]
    formats: tuple[str, ...]
    seconds: float
    outputs: tuple[Output, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    failed: bool = False  # then ``diagnostics`` holds the errors


def watched_dirs(project: Project) -> list[Path]:
    """The project folders a rebuild depends on, those that exist (others are not watched:
    restart after creating ``styles/`` or ``templates/``)."""
    return [project.root / name for name in WATCHED if (project.root / name).is_dir()]


def affected_formats(
    project: Project, changed: Iterable[Path], formats: Iterable[str] = FORMATS
) -> tuple[str, ...]:
    """The formats among ``formats`` that ``changed`` files can alter: a medium's own
    stylesheet (``styles/print.css``…) or an EPUB template only its format, anything else
    (a section, publication.yaml, base.css, custom.css, a shared template) every format."""
    wanted = tuple(formats)
    affected: set[str] = set()
    for path in changed:
        relative = project.relative(path)
        name = Path(relative).name
        if relative.startswith("styles/") and name in _MEDIUM_STYLES:
            affected.add(_MEDIUM_STYLES[name])
        elif relative.startswith("templates/epub/"):
            affected.add(EPUB.format)
        else:
            return wanted
    return tuple(f for f in wanted if f in affected)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # gone, or a directory


def changes(project: Project, stop: threading.Event | None = None) -> Iterator[tuple[Path, ...]]:
    """Yield ``()`` once the watcher runs, then each batch of files whose content changed.

    Saves that leave a file as it was (editors touching files, a rename dance) are dropped,
    so nothing is rebuilt for them. Ends when ``stop`` is set.
    """
    import watchfiles

    dirs = watched_dirs(project)
    known = {p: _digest(p) for d in dirs for p in d.rglob("*") if p.is_file()}
    batches = watchfiles.watch(
        *dirs,
        stop_event=stop,
        debounce=300,
        rust_timeout=500,
        yield_on_timeout=True,
        raise_interrupt=True,
    )
    started = False
    for batch in batches:
        if not started:
            started = True
            yield ()  # the watcher is running: changes from now on are seen
        changed = []
        for _, name in sorted(batch):
            path = Path(name)
            digest = _digest(path)
            if known.get(path) != digest:
                known[path] = digest
                changed.append(path)
        if changed:
            yield tuple(changed)


def run_build(
    project_dir: Path | str,
    formats: tuple[str, ...],
    out_dir: Path | None,
    changed: tuple[str, ...] = (),
    *,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> Rebuild:
    """One build as a Rebuild record: errors are kept in it, not raised, so watching goes on."""
    started = time.perf_counter()
    try:
        result = build(project_dir, formats, out_dir, options=options, progress=progress)
    except MxError as exc:
        return Rebuild(changed, formats, time.perf_counter() - started, (), exc.diagnostics, True)
    seconds = time.perf_counter() - started
    return Rebuild(changed, formats, seconds, result.outputs, result.diagnostics)


def watch(
    project_dir: Path | str,
    formats: Iterable[str],
    out_dir: Path | None,
    on_rebuild: Callable[[Rebuild], None],
    *,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build ``formats`` once, then again whenever a watched file changes, until ``stop``
    is set (or KeyboardInterrupt), always with ``options`` (resolved once). Each build is
    handed to ``on_rebuild``.

    Raises ProjectError if there is no project; build errors are reported, not raised.
    """
    project = find_project(project_dir)
    wanted = tuple(f for f in FORMATS if f in set(formats))
    keeping = keep_between_loads(True)  # each rebuild re-renders only what changed
    try:
        for changed in changes(project, stop):
            affected = affected_formats(project, changed, wanted) if changed else wanted
            if affected:
                names = tuple(project.relative(p) for p in changed)
                rebuild = run_build(
                    project.root, affected, out_dir, names, options=options, progress=progress
                )
                on_rebuild(rebuild)
    finally:
        keep_between_loads(keeping)
