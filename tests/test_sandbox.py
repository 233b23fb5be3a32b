"""Nothing outside the project is read and nothing is fetched: proved with an audit hook that
records every file opened and a local HTTP server that records every request."""

from __future__ import annotations

import http.server
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import MINIMAL_CONFIG, MakeProject
from mxpublish.build import build
from mxpublish.errors import MxError, RenderError, SandboxError, SourceError
from mxpublish.project import Project

_OPENED: list[str] = []
_RECORDING = threading.Event()


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _RECORDING.is_set() and isinstance(args[0], str | bytes | Path):
        _OPENED.append(os.fsdecode(args[0]))  # type: ignore[arg-type]


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while a test asks


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every path opened (by any code: ours, WeasyPrint, ebooklib) while the test runs."""
    _OPENED.clear()
    _RECORDING.set()
    try:
        yield _OPENED
    finally:
        _RECORDING.clear()


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server on 127.0.0.1 that serves a PNG to anyone and records each request."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(b"\x89PNG\r\n\x1a\n")

        def log_message(self, *_args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file next to (outside) the project that no build may read."""
    path = tmp_path / "secret.txt"
    path.write_text("TOP SECRET")
    return path


def _reads_of(opened: list[str], secret: Path) -> list[str]:
    return [p for p in opened if Path(p).name == secret.name]


HTML_ON = MINIMAL_CONFIG + "allow_html: true\n"


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"source/01-a.md": "---\ntitle: A\n---\n\n<img src='../../secret.txt'>\n"}, "ESCAPE"),
        ({"source/01-a.md": "---\ntitle: A\n---\n\n<img src='{secret}'>\n"}, "ABSOLUTE"),
        ({"source/01-a.md": "---\ntitle: A\n---\n\n<img src='link.png'>\n"}, "ESCAPE"),
        ({"styles/custom.css": "p { background: url(../../secret.txt) }"}, "ESCAPE"),
        ({"styles/custom.css": "p { background: url('{secret}') }"}, "ABSOLUTE"),
        ({"styles/custom.css": "p { background: url(../source/link.png) }"}, "ESCAPE"),
        ({"styles/custom.css": "p { background: url('file://{secret}') }"}, "URL"),
    ],
    ids=["img-up", "img-abs", "img-link", "css-up", "css-abs", "css-link", "css-file-url"],
)
def test_references_out_of_the_project_read_nothing(
    files: dict[str, str],
    code: str,
    make_project: MakeProject,
    secret: Path,
    opened: list[str],
) -> None:
    files = {name: text.replace("{secret}", str(secret)) for name, text in files.items()}
    root = make_project({"source/publication.yaml": HTML_ON, **files})
    (root / "source" / "link.png").symlink_to(secret)
    with pytest.raises(MxError) as exc:
        build(root, ["pdf", "epub", "html"])
    assert [d.code for d in exc.value.diagnostics] == [f"SANDBOX-{code}"]
    assert _reads_of(opened, secret) == []
    assert not list(root.glob("build/*"))


@pytest.mark.parametrize("name", ["source/02-b.md", "source/publication.yaml", "styles/custom.css"])
def test_project_files_linking_out_are_refused_unread(
    name: str, make_project: MakeProject, secret: Path, opened: list[str]
) -> None:
    root = make_project({})
    (root / name).unlink(missing_ok=True)
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).symlink_to(secret)
    with pytest.raises(MxError) as exc:
        build(root, ["html"])
    assert [(d.code, d.file) for d in exc.value.diagnostics] == [("SANDBOX-ESCAPE", name)]
    assert _reads_of(opened, secret) == []


def test_template_linking_out_is_refused_unread(
    make_project: MakeProject, secret: Path, opened: list[str]
) -> None:
    root = make_project({})
    (root / "templates").mkdir()
    (root / "templates" / "_titlepage.html.j2").symlink_to(secret)
    with pytest.raises(SandboxError):
        build(root, ["html"])
    assert _reads_of(opened, secret) == []


def test_network_references_fetch_nothing(
    make_project: MakeProject, server: tuple[str, list[str]]
) -> None:
    url, hits = server
    cases = [
        {"source/01-a.md": f"---\ntitle: A\n---\n\nSee <img src='{url}/x.png'>\n"},
        {"styles/custom.css": f"p {{ background: url({url}/x.png) }}"},
        {"styles/custom.css": f'@import "{url}/x.css";'},
        {"styles/custom.css": f"@font-face {{ font-family: X; src: url('{url}/x.otf') }}"},
    ]
    for number, files in enumerate(cases):
        root = make_project({"source/publication.yaml": HTML_ON, **files})
        with pytest.raises(MxError):
            build(root, ["pdf", "epub", "html"], root / f"out{number}")
        for name in files:
            (root / name).unlink()
    assert hits == []


def test_markdown_image_from_the_network_is_refused_by_the_pdf_fetcher(
    make_project: MakeProject, server: tuple[str, list[str]]
) -> None:
    """Markdown images get their own checks in the source stage; the PDF renderer's fetcher is
    the last line of defence for anything that reaches WeasyPrint: both refuse, and nothing
    is fetched."""
    from mxpublish.build import load
    from mxpublish.render.pdf import render_pdf

    url, hits = server
    root = make_project({"source/01-a.md": f"---\ntitle: A\n---\n\n![x]({url}/x.png)\n"})
    with pytest.raises(SourceError) as caught:
        build(root, ["pdf"])
    assert [d.code for d in caught.value.diagnostics] == ["IMAGE-REMOTE"]
    (root / "source" / "01-a.md").write_text("---\ntitle: A\n---\n\nText.\n")
    _, publication = load(root)
    page = f'<html lang="en"><body><p><img src="{url}/x.png" alt="x"/></p></body></html>'
    with pytest.raises(RenderError) as refused:
        render_pdf(publication, page, "", roots=[])
    assert [d.code for d in refused.value.diagnostics] == ["RESOURCE-REFUSED"]
    assert hits == []


def test_the_pdf_fetcher_itself(
    make_project: MakeProject, secret: Path, server: tuple[str, list[str]], opened: list[str]
) -> None:
    from weasyprint.urls import FatalURLFetchingError

    from mxpublish.render.pdf import _fetcher_class

    url, hits = server
    root = make_project({"source/inside.txt": "inside"})
    (root / "source" / "link.txt").symlink_to(secret)
    os.mkfifo(root / "source" / "pipe")
    fetcher = _fetcher_class()([root])
    assert fetcher.fetch((root / "source" / "inside.txt").as_uri()).read() == b"inside"
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    refused = [
        f"{url}/x.png",
        f"https://127.0.0.1:{url.rsplit(':', 1)[1]}/x.png",
        f"ftp://127.0.0.1:{url.rsplit(':', 1)[1]}/x.png",
        secret.as_uri(),
        (root / "source" / ".." / ".." / "secret.txt").as_uri(),
        (root / "source" / "link.txt").as_uri(),
        f"file://127.0.0.1{secret}",
        (root / "source" / "pipe").as_uri(),  # would block forever if opened
        (root / "source").as_uri(),
    ]
    for address in refused:
        with pytest.raises(FatalURLFetchingError):
            fetcher.fetch(address)
    assert hits == []
    assert _reads_of(opened, secret) == []
    assert not [p for p in opened if p.endswith("pipe")]


@pytest.mark.parametrize("reference", ["../../secret.txt", "images/../../../secret.txt"])
def test_a_markdown_image_out_of_the_project_reads_nothing(
    reference: str, make_project: MakeProject, secret: Path, opened: list[str]
) -> None:
    """Markdown image paths are relative to source/; the source stage refuses one that leaves
    the project before anything is read (the PDF fetcher would refuse it too)."""
    root = make_project({"source/01-a.md": f"---\ntitle: A\n---\n\n![x]({reference})\n"})
    with pytest.raises(MxError) as exc:
        build(root, ["pdf"])
    [diagnostic] = exc.value.diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == (
        "SANDBOX-ESCAPE",
        "source/01-a.md",
        5,
    )
    assert "outside the project" in diagnostic.message
    assert _reads_of(opened, secret) == []


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("../../etc/passwd", "SANDBOX-ESCAPE"),
        ("images/../../../etc/passwd", "SANDBOX-ESCAPE"),
        ("/etc/passwd", "SANDBOX-ABSOLUTE"),
        ("~/.ssh/id_rsa", "SANDBOX-ABSOLUTE"),
        ("http://127.0.0.1:9/x.png", "SANDBOX-URL"),
        ("HTTPS://example.com/x.png", "SANDBOX-URL"),
        ("ftp://example.com/x.png", "SANDBOX-URL"),
        ("file:///etc/passwd", "SANDBOX-URL"),
        ("//example.com/x.png", "SANDBOX-URL"),
        ("data:image/png;base64,AAAA", "SANDBOX-URL"),
        ("x\x00.png", "SANDBOX-ESCAPE"),
        ("link/passwd", "SANDBOX-ESCAPE"),
    ],
)
def test_resolve_inside_refuses(
    reference: str, code: str, make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project({})
    (root / "source" / "link").symlink_to(tmp_path)
    project = Project(root.resolve())
    with pytest.raises(SandboxError) as exc:
        project.resolve_inside(reference, project.source_dir, file="source/01-a.md", line=3)
    [diagnostic] = exc.value.diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == (code, "source/01-a.md", 3)


def test_resolve_inside_accepts_paths_in_the_project(make_project: MakeProject) -> None:
    root = make_project({"source/images/a.png": b"x", "styles/b.png": b"y"})
    project = Project(root.resolve())
    assert project.resolve_inside("images/a.png", project.source_dir) == (
        project.source_dir / "images" / "a.png"
    )
    assert project.resolve_inside("../styles/b.png", project.source_dir) == (
        project.styles_dir / "b.png"
    )


def test_the_audit_hook_sees_every_read(make_project: MakeProject, opened: list[str]) -> None:
    """The read-nothing assertions above mean something: a normal build's reads are seen."""
    root = make_project(
        {"styles/custom.css": "p { background: url(dot.png) }", "styles/dot.png": b"P"}
    )
    build(root, ["html"])
    names = {Path(p).name for p in opened}
    assert {"publication.yaml", "01-first.md", "custom.css", "dot.png"} <= names


def test_a_missing_resource_in_the_pdf_names_it(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\n---\n\n![map](images/none.png)\n"})
    with pytest.raises(MxError) as exc:
        build(root, ["pdf"])
    [diagnostic] = exc.value.diagnostics
    assert "images/none.png" in diagnostic.message
    if isinstance(exc.value, RenderError):  # before source-stage image checks exist
        assert diagnostic.message == "cannot read images/none.png: no such file"


@pytest.mark.slow
def test_a_stylesheet_image_in_the_project_is_inlined_in_every_edition(
    make_project: MakeProject,
) -> None:
    import io
    import zipfile

    from PIL import Image

    from helpers import run_epubcheck

    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, format="PNG")
    root = make_project(
        {
            "styles/custom.css": "h2 { background: url(rule.png) no-repeat; }\n",
            "styles/rule.png": png.getvalue(),
        }
    )
    outputs = {o.format: o.path for o in build(root, ["epub", "html"]).outputs}
    with zipfile.ZipFile(outputs["epub"]) as archive:
        css = archive.read("EPUB/styles/epub.css").decode()
    assert 'url("data:image/png;base64,' in css and "rule.png" not in css
    assert 'url("data:image/png;base64,' in outputs["html"].read_text(encoding="utf-8")
    report = run_epubcheck(outputs["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages
