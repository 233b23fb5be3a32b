"""Peak memory of a whole process tree: a build that lays a book out in worker processes
uses the memory of all of them at once, which no single process's maximum RSS shows."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as file:
                found += [int(child) for child in file.read().split()]
    except OSError:
        pass
    return found


def _field(path: str, name: str) -> int:
    """A ``kB`` figure from a /proc file, 0 when the process has gone."""
    try:
        with open(path) as file:
            for line in file:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class TreePeak:
    """Sampled every ``interval`` seconds until stopped: the peak of the tree's summed RSS
    (shared pages counted in every process that maps them) and of its summed PSS (shared
    pages split between them: what the tree takes from the machine), in MB."""

    root: int
    interval: float = 0.1
    rss_mb: float = 0.0
    pss_mb: float = 0.0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = pss = 0
            stack = [self.root]
            while stack:
                pid = stack.pop()
                rss += _field(f"/proc/{pid}/status", "VmRSS:")
                pss += _field(f"/proc/{pid}/smaps_rollup", "Pss:")
                stack += _children(pid)
            self.rss_mb = max(self.rss_mb, rss / 1024)
            self.pss_mb = max(self.pss_mb, pss / 1024)
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
