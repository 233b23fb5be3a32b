"""Live preview and watch: a real headless Chromium sees an edit without a manual reload, and
`watch` rebuilds the chosen formats when a file changes."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mxpublish.authoring.scaffold import create_project
from mxpublish.authoring.serve import EVENTS_PATH, serve
from mxpublish.authoring.watch import Rebuild, affected_formats, watch
from mxpublish.build import build
from mxpublish.project import Project

WAIT = 60.0  # seconds to wait for a process or a page before failing (a bound, not a measure)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
ADDED = "A sentence written while the page was open."


def _chromium() -> str:
    """Debian's chromium; missing is a failure under CI (tools/ensure-system-deps.sh installs
    it there) and a skip elsewhere."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: `make test` runs tools/ensure-system-deps.sh")
        pytest.skip("chromium is not installed (sh tools/ensure-system-deps.sh)")
    return path


class Running:
    """A `python -m mxpublish …` process whose output lines arrive on a queue."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mxpublish", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str) -> str:
        """The first output line containing ``text``; fails after WAIT seconds."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        pytest.fail(f"no line with {text!r}; output so far: {self.seen}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    create_project(root, "Live Preview Test")
    return root


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


@pytest.mark.slow
def test_serve_shows_an_edit_in_a_real_browser_without_reload(
    project: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    server = Running("serve", str(project), "--port", "0")
    try:
        url = server.wait_for("serving http://").split()[1]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"),
                executable_path=executable,
                headless=True,
                args=CHROMIUM_FLAGS,
            )
            try:
                page = browser.new_page()
                page.goto(url)
                assert page.locator("h1.doc-title").inner_text() == "Live Preview Test"
                assert ADDED not in page.inner_text("body")
                page.evaluate("window.__loadedBeforeTheEdit = true")
                _append(project / "source" / "02-background.md", ADDED)
                page.wait_for_function(
                    f"document.body.innerText.includes({ADDED!r})", timeout=WAIT * 1000
                )
                # a new document replaced the old one: the page reloaded by itself
                assert page.evaluate("window.__loadedBeforeTheEdit") is None
                assert page.locator("h1.doc-title").inner_text() == "Live Preview Test"
            finally:
                browser.close()
        server.wait_for("source/02-background.md: html built")
    finally:
        server.stop()
    assert not (project / "build").exists(), "serve builds in memory and writes nothing"


@pytest.fixture
def serving(project: Path) -> Iterator[tuple[str, list[Rebuild]]]:
    """`serve` in a thread of this process, on a free port; stopped after the test."""
    stop = threading.Event()
    urls: queue.Queue[str] = queue.Queue()
    rebuilds: list[Rebuild] = []
    thread = threading.Thread(
        target=serve,
        args=(project, "127.0.0.1", 0),
        kwargs={"on_ready": urls.put, "on_rebuild": rebuilds.append, "stop": stop},
        daemon=True,
    )
    thread.start()
    try:
        yield urls.get(timeout=WAIT), rebuilds
    finally:
        stop.set()
        thread.join(timeout=WAIT)
    assert not thread.is_alive()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=WAIT) as response:
        return response.read().decode("utf-8")


def _next_event(stream: object) -> str:
    """The data of the next server-sent event (keep-alive comments skipped)."""
    while True:
        line = stream.readline().decode("utf-8")  # type: ignore[attr-defined]
        if line.startswith("data: "):
            return line.removeprefix("data: ").strip()


def test_served_page_has_the_reload_script_the_built_file_never(
    serving: tuple[str, list[Rebuild]], project: Path, tmp_path: Path
) -> None:
    url, rebuilds = serving
    page = _get(url)
    assert EVENTS_PATH in page and page.count("<script") == 1
    assert page.index("<script") > page.index("</main>")
    with urllib.request.urlopen(url + EVENTS_PATH.lstrip("/"), timeout=WAIT) as events:
        assert events.headers["Content-Type"] == "text/event-stream"
        assert _next_event(events) == "1"
        _append(project / "source" / "01-introduction.md", ADDED)
        assert _next_event(events) == "2"  # the open page is told to reload
    assert ADDED in _get(url)
    assert [r.changed for r in rebuilds] == [(), ("source/01-introduction.md",)]
    result = build(project, ["html"], tmp_path / "out")
    assert "<script" not in result.outputs[0].path.read_text(encoding="utf-8")
    with pytest.raises(urllib.error.HTTPError) as missing:
        _get(url + "source/publication.yaml")
    assert missing.value.code == 404


def test_serve_shows_errors_and_recovers(serving: tuple[str, list[Rebuild]], project: Path) -> None:
    url, rebuilds = serving
    section = project / "source" / "02-background.md"
    good = section.read_text(encoding="utf-8")
    section.write_text("---\ntitle: B\ncolour: red\n---\n\nText.\n", encoding="utf-8")
    deadline = time.monotonic() + WAIT
    while len(rebuilds) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rebuilds[-1].failed
    page = _get(url)
    assert "The build failed" in page
    assert "source/02-background.md:3: error: SCHEMA-UNKNOWN unknown key `colour`" in page
    section.write_text(good, encoding="utf-8")
    while len(rebuilds) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not rebuilds[-1].failed and "Live Preview Test" in _get(url)


def test_affected_formats(project: Path) -> None:
    p = Project(project)
    styles, templates, source = p.styles_dir, p.templates_dir, p.source_dir
    formats = ("pdf", "epub", "html")
    assert affected_formats(p, [styles / "print.css"], formats) == ("pdf",)
    assert affected_formats(p, [styles / "web.css", styles / "epub.css"], formats) == (
        "epub",
        "html",
    )
    assert affected_formats(p, [templates / "epub" / "nav.xhtml.j2"], ("pdf", "html")) == ()
    assert affected_formats(p, [styles / "custom.css"], formats) == formats
    assert affected_formats(p, [templates / "_titlepage.html.j2"], formats) == formats
    assert affected_formats(p, [source / "publication.yaml"], ("html",)) == ("html",)


def test_watch_rebuilds_only_for_real_changes(project: Path, tmp_path: Path) -> None:
    """A save that leaves a file as it was rebuilds nothing; an edit rebuilds the format."""
    out = tmp_path / "out"
    stop = threading.Event()
    rebuilds: queue.Queue[Rebuild] = queue.Queue()
    thread = threading.Thread(
        target=watch,
        args=(project, ["html"], out, rebuilds.put),
        kwargs={"stop": stop},
        daemon=True,
    )
    thread.start()
    try:
        first = rebuilds.get(timeout=WAIT)
        assert first.changed == () and not first.failed
        html = out / "live-preview-test.html"
        assert ADDED not in html.read_text(encoding="utf-8")
        untouched = project / "source" / "01-introduction.md"
        untouched.write_bytes(untouched.read_bytes())  # saved, not changed
        _append(project / "source" / "02-background.md", ADDED)
        second = rebuilds.get(timeout=WAIT)
        assert second.changed == ("source/02-background.md",)
        assert second.formats == ("html",) and [o.format for o in second.outputs] == ["html"]
        assert ADDED in html.read_text(encoding="utf-8")
    finally:
        stop.set()
        thread.join(timeout=WAIT)
    assert rebuilds.empty()


@pytest.mark.slow
def test_watch_command_rebuilds_on_change(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    watcher = Running("watch", str(project), "-f", "html", "-f", "epub", "-o", str(out))
    try:
        watcher.wait_for("first build: epub, html built")
        _append(project / "source" / "02-background.md", ADDED)
        watcher.wait_for("source/02-background.md: epub, html built")
        assert ADDED in (out / "live-preview-test.html").read_text(encoding="utf-8")
        (project / "styles" / "web.css").write_text("body { color: #111; }\n", encoding="utf-8")
        line = watcher.wait_for("styles/web.css:")
        assert "styles/web.css: html built" in line  # only the edition that reads web.css
    finally:
        watcher.stop()
    assert "stopped" in watcher.wait_for("stopped")


def test_served_page_is_the_built_html_edition_source_date_epoch_included(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve makes its page through the build's own steps: with SOURCE_DATE_EPOCH set, the
    page (before its reload script) is the built HTML file, byte for byte."""
    from mxpublish.authoring.serve import preview_html
    from mxpublish.build import BuildOptions, build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    built = build(project, ["html"], tmp_path / "out", paper="a4").outputs[0].path.read_bytes()
    page = preview_html(project, BuildOptions(paper="a4"))
    assert b'content="2023-11-14T22:13:20' in page  # the epoch, not the publication date
    assert page == built
