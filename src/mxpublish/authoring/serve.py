"""``mxpublish serve``: the HTML edition served on localhost, rebuilt on change, and the open
browser page reloaded through server-sent events.

The reload script is added to the page as it is served, never to a built file; the edition is
built in memory and nothing is written to ``build/``.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mxpublish.authoring.watch import Rebuild, affected_formats, changes
from mxpublish.build import BuildOptions, build_time, environment_for, load, with_paper
from mxpublish.cache import digest_tree
from mxpublish.errors import MxError
from mxpublish.project import find_project
from mxpublish.render.html import html_edition
from mxpublish.source.memo import keep_between_loads

EVENTS_PATH = "/__mxpublish/events"
_KEEPALIVE_SECONDS = 10.0
_RELOAD_SCRIPT = """<script>/* mxpublish serve: reloads this page when the project changes */
(function () {
  var generation = "%(generation)s";
  var key = "mxpublish-scroll:" + location.pathname;
  window.addEventListener("load", function () {
    var y = sessionStorage.getItem(key);
    if (y !== null) { sessionStorage.removeItem(key); window.scrollTo(0, parseFloat(y)); }
  });
  var source = new EventSource("%(events)s");
  source.onmessage = function (event) {
    if (event.data !== generation) {
      sessionStorage.setItem(key, String(window.scrollY));
      source.close();
      location.reload();
    }
  };
})();
</script>
"""


class PreviewState:
    """The page being served and its generation, shared by the watcher and the server's
    threads; a new generation wakes every waiting events stream."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.generation = 0
        self.page = b""
        self.closed = False

    def publish(self, page: bytes) -> None:
        with self.condition:
            self.generation += 1
            self.page = with_reload_script(page, self.generation)
            self.condition.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> int | None:
        """The generation once it differs from ``seen`` or ``timeout`` passed; None once
        the preview is closed."""

        def changed() -> bool:
            return self.closed or self.generation != seen

        with self.condition:
            self.condition.wait_for(changed, timeout=timeout)
            return None if self.closed else self.generation

    def close(self) -> None:
        with self.condition:
            self.closed = True
            self.condition.notify_all()


def with_reload_script(page: bytes, generation: int) -> bytes:
    """``page`` with the reload script before ``</body>`` (or at the end)."""
    script = (_RELOAD_SCRIPT % {"generation": generation, "events": EVENTS_PATH}).encode()
    at = page.rfind(b"</body>")  # bytes: a long book's page is megabytes
    return page[:at] + script + page[at:] if at >= 0 else page + script


def error_page(rebuild: Rebuild) -> bytes:
    """What the browser shows while the sources have errors: each diagnostic, as `check`
    prints it; the page reloads by itself once they are fixed."""
    items = "\n".join(f"<li><pre>{html.escape(d.format())}</pre></li>" for d in rebuild.diagnostics)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8"/>\n'
        "<title>mxpublish: the build failed</title>\n</head>\n<body>\n"
        f'<h1>The build failed</h1>\n<ul class="diagnostics">\n{items}\n</ul>\n'
        "<p>Fix the sources: this page reloads when they change.</p>\n</body>\n</html>\n"
    ).encode()


def render_page(
    project_dir: Path, options: BuildOptions | None = None, changed: tuple[str, ...] = ()
) -> tuple[Rebuild, bytes]:
    """Build the HTML edition in memory, as build does; a page listing the errors if the
    sources have any."""
    started = time.perf_counter()
    try:
        page = preview_html(project_dir, options)
    except MxError as exc:
        rebuild = Rebuild(
            changed, ("html",), time.perf_counter() - started, (), exc.diagnostics, True
        )
        return rebuild, error_page(rebuild)
    return Rebuild(changed, ("html",), time.perf_counter() - started), page


def _handler(state: PreviewState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # the core does not print; the CLI reports rebuilds instead

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == EVENTS_PATH:
                self._events()
            elif path in ("/", "/index.html"):
                with state.condition:
                    page = state.page
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(page)
            else:
                self.send_error(HTTPStatus.NOT_FOUND, "mxpublish serve has one page: /")

        def _events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            seen = -1
            try:
                while True:
                    generation = state.wait_for_change(seen, _KEEPALIVE_SECONDS)
                    if generation is None:
                        return
                    if generation != seen:
                        self.wfile.write(f"data: {generation}\n\n".encode())
                        seen = generation
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


def serve(
    project_dir: Path | str,
    host: str,
    port: int,
    *,
    options: BuildOptions | None = None,
    on_ready: Callable[[str], None],
    on_rebuild: Callable[[Rebuild], None],
    stop: threading.Event | None = None,
) -> None:
    """Serve the HTML edition at ``http://host:port/`` until ``stop`` is set (or
    KeyboardInterrupt), rebuilding it when the project changes.

    ``on_ready`` gets the URL once the page is built, the server listens and the watcher
    runs; ``on_rebuild`` gets every build. Raises ProjectError when there is no project and
    OSError when the port cannot be bound.
    """
    project = find_project(project_dir)
    keeping = keep_between_loads(True)  # each rebuild re-renders only what changed
    state = PreviewState()
    server = ThreadingHTTPServer((host, port), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="mxpublish-serve", daemon=True)
    try:
        for changed in changes(project, stop):
            if changed and not affected_formats(project, changed, ("html",)):
                continue
            names = tuple(project.relative(p) for p in changed)
            rebuild, page = render_page(project.root, options, names)
            state.publish(page)
            on_rebuild(rebuild)
            if thread.ident is None:
                thread.start()
                bound_host, bound_port = server.server_address[:2]
                on_ready(f"http://{_url_host(str(bound_host))}:{bound_port}/")
    finally:
        keep_between_loads(keeping)
        state.close()
        if thread.ident is not None:
            server.shutdown()
        server.server_close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def preview_html(project_dir: Path | str, options: BuildOptions | None = None) -> bytes:
    """The HTML edition in memory, made as ``build`` makes it (the same load, paper and
    timestamp, ``SOURCE_DATE_EPOCH`` included): what ``serve`` shows."""
    options = (options or BuildOptions()).checked()
    project, publication = load(project_dir)
    modified = build_time(publication)
    publication = with_paper(publication, options.paper)
    env = environment_for(project, digest_tree(project.templates_dir))
    return html_edition(project, publication, env, modified)
