"""Edit-to-preview latency of ``mxpublish serve`` and ``mxpublish watch -f html``: from the
moment one section file is written to the moment the new page is served (serve) or the new
HTML file is in place (watch). Used by bench.py; runs on its own too:

    python benchmarks/latency.py PROJECT [--edits 5]
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
WAIT = 120.0
_LOG: list[queue.Queue[str]] = []  # a bound on waiting for a process, not a measure


@contextmanager
def _running(argv: list[str]) -> Iterator[queue.Queue[str]]:
    """A process whose output lines arrive on a queue; stopped on exit."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield lines
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(lines: queue.Queue[str], needle: str) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        if needle in line:
            return line
    raise SystemExit(f"gave up waiting for {needle!r}")


def _section(project: Path) -> Path:
    """The section in the middle of the book: the one edited."""
    sections = sorted((project / "source").glob("[0-9]*.md"))
    return sections[len(sections) // 2]


def _edit(path: Path, marker: str) -> float:
    """Append a word (the marker) to the section; returns the time just before the write."""
    text = path.read_text(encoding="utf-8").rstrip("\n") + f" {marker}.\n"
    started = time.perf_counter()
    path.write_text(text, encoding="utf-8")
    return started


def serve_latency(project: Path, edits: int) -> list[float]:
    """Seconds from each edit to the new page fully received over HTTP from ``serve``."""
    argv = [str(BIN / "mxpublish"), "serve", str(project), "--port", "0", "-q"]
    times = []
    with _running(argv) as lines:
        url = _wait_for(lines, "serving ").split()[1]
        events: queue.Queue[str] = queue.Queue()

        def listen() -> None:
            with urllib.request.urlopen(url + "__mxpublish/events", timeout=WAIT) as stream:
                for raw in stream:
                    if raw.startswith(b"data:"):
                        events.put(raw.decode().split(":", 1)[1].strip())

        threading.Thread(target=listen, daemon=True).start()
        events.get(timeout=WAIT)  # the current generation
        for n in range(edits + 1):  # the first edit warms up
            marker = f"Latencymark{n}x{time.monotonic_ns()}"
            started = _edit(_section(project), marker)
            while True:
                events.get(timeout=WAIT)
                with urllib.request.urlopen(url, timeout=WAIT) as response:
                    page = response.read()
                if marker.encode() in page:
                    break
            if n:
                times.append(time.perf_counter() - started)
            time.sleep(0.5)
    return times


def watch_latency(project: Path, out: Path, edits: int) -> list[float]:
    """Seconds from each edit to the rebuilt HTML file in place, from ``watch -f html``."""
    argv = [str(BIN / "mxpublish"), "watch", str(project), "-f", "html", "-o", str(out)]
    times = []
    with _running(argv) as lines:
        _LOG.append(lines)
        _wait_for(lines, "watching")
        _wait_for(lines, "first build")
        target = next(out.glob("*.html"))
        for n in range(edits + 1):
            marker = f"Latencymark{n}x{time.monotonic_ns()}"
            started = _edit(_section(project), marker)
            deadline = time.monotonic() + WAIT
            while marker.encode() not in target.read_bytes():
                if time.monotonic() > deadline:
                    raise SystemExit("watch did not rebuild")
                time.sleep(0.005)
            if n:
                times.append(time.perf_counter() - started)
            time.sleep(0.5)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    for name, times in (
        ("serve", serve_latency(args.project, args.edits)),
        ("watch -f html", watch_latency(args.project, args.project / "build-latency", args.edits)),
    ):
        while _LOG and not _LOG[0].empty():
            print(_LOG[0].get(), end="")
        print(f"{name}: median {statistics.median(times):.3f} s, max {max(times):.3f} s ({times})")


if __name__ == "__main__":
    main()
