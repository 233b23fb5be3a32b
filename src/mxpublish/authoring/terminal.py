"""What the CLI shows while it works: rich progress on a terminal, plain lines otherwise.

Progress and summaries go to stderr; stdout carries the result: a summary table on a
terminal, the bare output paths (one a line, for scripts) when it is piped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from mxpublish.authoring.settings import SETTINGS, Settings
from mxpublish.build import Output
from mxpublish.progress import StageEvent

QUIET, NORMAL, VERBOSE = 0, 1, 2
_LABELS = {"load": "reading sources", "pdf": "PDF", "epub": "EPUB", "html": "HTML"}


def human_size(size: int) -> str:
    """Bytes as a short decimal size: ``812 B``, ``45.3 kB``, ``1.2 MB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1000**2:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1000**2:.1f} MB"


def _is_tty(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Reporter:
    """Receives the core's StageEvents and prints them; prints the outputs' summary.

    ``verbosity``: QUIET shows nothing but diagnostics, NORMAL shows progress and the summary,
    VERBOSE adds each stage's time.
    """

    def __init__(
        self,
        verbosity: int = NORMAL,
        err: IO[str] | None = None,
        out: IO[str] | None = None,
        rich: bool | None = None,
    ):
        self.verbosity = verbosity
        self.err = err or sys.stderr
        self.out = out or sys.stdout
        self.rich = _is_tty(self.err) if rich is None else rich
        self.timings: list[tuple[str, float]] = []
        self._progress: Any = None
        self._task: Any = None

    # --- progress ----------------------------------------------------------------------

    def __call__(self, event: StageEvent) -> None:
        if event.finished:
            self.timings.append((event.stage, event.seconds))
        if self.verbosity == QUIET:
            return
        if self.rich:
            self._rich_event(event)
        elif not event.finished:
            print(f"[{event.index}/{event.total}] {_LABELS[event.stage]}", file=self.err)
        elif self.verbosity >= VERBOSE:
            label = _LABELS[event.stage]
            print(f"[{event.index}/{event.total}] {label}: {event.seconds:.2f} s", file=self.err)

    def _rich_event(self, event: StageEvent) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        if self._progress is None:
            console = Console(file=self.err, force_terminal=True)
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=event.total)
        label = _LABELS[event.stage]
        if event.finished:
            self._progress.advance(self._task)
            if self.verbosity >= VERBOSE:
                self._progress.console.print(f"[green]✓[/] {label} [dim]{event.seconds:.2f} s[/]")
        else:
            self._progress.update(self._task, description=label)

    def close(self) -> None:
        """Stop the live display (call once the build has ended, even on error)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # --- results -----------------------------------------------------------------------

    def outputs(self, outputs: Iterable[Output]) -> None:
        """The summary: each output's path, size and page count (and time with -v)."""
        self.close()
        items = list(outputs)
        if self.verbosity == QUIET:
            return
        if _is_tty(self.out):
            self._table(items, self.out)
            return
        for output in items:
            print(str(output.path), file=self.out)
        for output in items:
            pages = f"  {output.pages} pages" if output.pages else ""
            verb = "unchanged" if getattr(output, "cached", False) else "wrote"
            print(f"{verb} {output.path}  {human_size(output.size)}{pages}", file=self.err)
        if self.verbosity >= VERBOSE:
            total = sum(seconds for _, seconds in self.timings)
            print(f"total {total:.2f} s", file=self.err)

    def _table(self, items: list[Output], stream: IO[str]) -> None:
        from rich.console import Console
        from rich.table import Table

        timings = dict(self.timings)
        table = Table(box=None, pad_edge=False)
        table.add_column("output")
        table.add_column("size", justify="right")
        table.add_column("pages", justify="right")
        if self.verbosity >= VERBOSE:
            table.add_column("time", justify="right")
        for output in items:
            row = [str(output.path), human_size(output.size), str(output.pages or "–")]
            if self.verbosity >= VERBOSE:
                cached = getattr(output, "cached", False)
                row.append("unchanged" if cached else f"{timings.get(output.format, 0.0):.2f} s")
            table.add_row(*row)
        if self.verbosity >= VERBOSE:
            total = sum(seconds for _, seconds in self.timings)
            table.add_row("reading sources", "", "", f"{timings.get('load', 0.0):.2f} s")
            table.add_row("total", "", "", f"{total:.2f} s")
        Console(file=stream, force_terminal=True).print(table)

    def rebuild(self, rebuild: Any) -> None:
        """One watch/serve build (an ``authoring.watch.Rebuild``): what changed, then its
        outputs or its errors."""
        import datetime as dt

        when = dt.datetime.now().strftime("%H:%M:%S")
        cause = ", ".join(rebuild.changed) if rebuild.changed else "first build"
        formats = ", ".join(rebuild.formats)
        self.close()
        for diagnostic in rebuild.diagnostics:
            print(diagnostic.format(), file=self.err, flush=True)
        if rebuild.failed:
            self.line(f"{when} {cause}: {formats} failed; waiting for changes")
            return
        self.line(f"{when} {cause}: {formats} built in {rebuild.seconds:.2f} s")
        for output in rebuild.outputs:
            pages = f", {output.pages} pages" if output.pages else ""
            self.line(f"  {output.path} ({human_size(output.size)}{pages})")

    def line(self, text: str) -> None:
        """A status line (watch and serve use it), unless quiet."""
        self.close()
        if self.verbosity != QUIET:
            print(text, file=self.err, flush=True)


def rules_listing(rules: Iterable[Any], *, as_json: bool = False) -> str:
    """``check --list-rules``: one rule a line (id, severity, summary), or a JSON list."""
    rules = list(rules)
    if as_json:
        rows = [{"id": r.id, "severity": r.severity.value, "summary": r.summary} for r in rules]
        return json.dumps(rows, indent=2, ensure_ascii=False)
    width = max(len(r.id) for r in rules)
    lines = []
    for rule in rules:
        when = " (release)" if rule.release else ""
        lines.append(f"{rule.id:<{width}}  {rule.severity.value:<7}  {rule.summary}{when}")
    return "\n".join(lines)


def settings_listing(settings: Settings, *, as_json: bool = False) -> str:
    """``mxpublish config``: each effective setting, its origin and its variable."""
    rows = []
    for setting in SETTINGS:
        value = settings.values[setting.name]
        shown = value.value
        if isinstance(shown, tuple):
            shown = ",".join(shown)
        elif isinstance(shown, bool):
            shown = "true" if shown else "false"
        rows.append((setting, str(shown), value.origin))
    if as_json:
        data = {}
        for setting, _, origin in rows:
            raw = settings[setting.name]
            raw = (
                list(raw) if isinstance(raw, tuple) else str(raw) if isinstance(raw, Path) else raw
            )
            data[setting.name] = {"value": raw, "origin": origin, "env": setting.env}
        return json.dumps(data, indent=2)
    lines = [f"# project: {settings.project_root}"]
    width = max(len(shown) for _, shown, _ in rows)
    for setting, shown, origin in rows:
        lines.append(f"{setting.name:<12} {shown:<{width}}  # {origin}; {setting.env}")
    return "\n".join(lines)
