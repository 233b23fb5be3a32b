"""Build progress as data: the core reports each stage through a callback and never prints."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StageEvent:
    """A stage of a build started (``finished`` False) or ended, after ``seconds``."""

    stage: str  # "load", then one per format: "pdf", "epub", "html"
    index: int  # 1-based position among the build's stages
    total: int
    finished: bool
    seconds: float = 0.0


Progress = Callable[[StageEvent], None]


class Stages:
    """Times the stages of one build and reports them to ``progress`` (if any).

    Timing uses a monotonic clock and only feeds the report: outputs never depend on it.
    """

    def __init__(self, names: Sequence[str], progress: Progress | None = None):
        self.names = tuple(names)
        self.progress = progress
        self.current: str | None = None
        self.started = 0.0

    def start(self, name: str) -> None:
        """Finish the running stage, if any, and start ``name``."""
        self.finish()
        self.current, self.started = name, time.perf_counter()
        self._report(finished=False)

    def finish(self) -> None:
        if self.current is not None:
            self._report(finished=True, seconds=time.perf_counter() - self.started)
            self.current = None

    def _report(self, finished: bool, seconds: float = 0.0) -> None:
        if self.progress is None or self.current is None:
            return
        index = self.names.index(self.current) + 1
        self.progress(StageEvent(self.current, index, len(self.names), finished, seconds))
