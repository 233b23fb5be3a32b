"""Outputs are never lost or torn: interrupted builds keep the previous files, concurrent builds
both finish with valid files, and no temporary file is ever left behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import MakeProject
from helpers import run_epubcheck
from mxpublish.errors import OutputError
from mxpublish.project import atomic_write

SLUG = "a-test-publication"
#: Runs the CLI with one stage made to wait (after writing a marker) so the test can interrupt
#: it exactly there: during the PDF render, or inside atomic_write with the temp file written.
DRIVER = """
import os, sys, time, pathlib
import mxpublish.render.pdf, mxpublish.project
from mxpublish.cli import main

root, marker, where = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]

def wait():
    marker.write_text(where)
    time.sleep(120)

if where == "render":
    real_render = mxpublish.render.pdf.render_pdf
    def render_pdf(*args, **kwargs):
        wait()
        return real_render(*args, **kwargs)
    mxpublish.render.pdf.render_pdf = render_pdf
else:
    real_fsync = os.fsync
    def fsync(fd):
        real_fsync(fd)
        if os.fstat(fd).st_size > 1000:
            wait()
    mxpublish.project.os.fsync = fsync
main(["build", root])
"""


def _outputs(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "build").iterdir())}


def _interrupt(root: Path, tmp_path: Path, where: str, signum: int) -> subprocess.CompletedProcess:
    marker = tmp_path / f"marker-{where}"
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(root), str(marker), where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(1200):  # up to 2 minutes for the process to reach the stage
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert marker.exists(), proc.communicate()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "signum"),
    [("render", signal.SIGINT), ("write", signal.SIGINT), ("write", signal.SIGTERM)],
    ids=["ctrl-c-in-render", "ctrl-c-in-write", "sigterm-in-write"],
)
def test_interrupted_build_keeps_previous_outputs(
    where: str, signum: int, make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project({})
    first = subprocess.run(
        [sys.executable, "-m", "mxpublish", "build", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    before = _outputs(root)
    assert sorted(before) == ["SHA256SUMS", f"{SLUG}.epub", f"{SLUG}.html", f"{SLUG}.pdf"]
    (root / "source" / "01-first.md").write_text("---\ntitle: Changed\n---\n\nNew text.\n")

    result = _interrupt(root, tmp_path, where, signum)

    assert result.returncode == 130, result.stderr
    *progress, last = result.stderr.splitlines()
    assert last == "interrupted; previous outputs are untouched"
    assert all(line.startswith("[") for line in progress), progress  # stage lines, no traceback
    assert _outputs(root) == before  # same names (no temp files) and the same bytes


def test_failed_write_removes_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")

    class Boom(Exception):
        pass

    def explode(*_args: object) -> None:
        raise Boom

    import mxpublish.project

    original = mxpublish.project.os.replace
    mxpublish.project.os.replace = explode  # type: ignore[assignment]
    try:
        with pytest.raises(Boom):
            atomic_write(target, b"new")
    finally:
        mxpublish.project.os.replace = original
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]
    assert target.read_bytes() == b"old"


def test_disk_full_is_an_output_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    target = tmp_path / "out.epub"
    target.write_bytes(b"old")

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("mxpublish.project.os.fsync", no_space)
    with pytest.raises(OutputError) as exc:
        atomic_write(target, b"new")
    assert exc.value.diagnostics[0].format() == (
        f"error: OUTPUT-UNWRITABLE cannot write {target}: No space left on device"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["out.epub"]
    assert target.read_bytes() == b"old"


def test_concurrent_writes_to_one_path_are_never_torn(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    payloads = [bytes([n]) * 200_000 for n in range(8)]
    start = threading.Barrier(len(payloads))

    def write(data: bytes) -> None:
        start.wait()
        for _ in range(5):
            atomic_write(target, data)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_bytes() in payloads
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.slow
def test_two_builds_of_one_project_at_once_both_finish_valid(make_project: MakeProject) -> None:
    root = make_project(
        {"source/02-more.md": "---\ntitle: More\n---\n\n" + "A sentence of text. " * 400 + "\n"}
    )
    command = [sys.executable, "-m", "mxpublish", "build", str(root)]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results
    outputs = sorted(p.name for p in (root / "build").iterdir())
    assert outputs == ["SHA256SUMS", f"{SLUG}.epub", f"{SLUG}.html", f"{SLUG}.pdf"]  # no temp
    build = root / "build"
    reader = PdfReader(build / f"{SLUG}.pdf")
    assert len(reader.pages) >= 3 and "A sentence of text." in reader.pages[2].extract_text()
    report = run_epubcheck(build / f"{SLUG}.epub")
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages
    html = (build / f"{SLUG}.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
