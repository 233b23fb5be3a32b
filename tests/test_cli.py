"""The command line: messages, exit codes, init → build, and one real process per command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import MakeProject
from helpers import REPO
from mxpublish import __version__
from mxpublish.cli import main


def test_version_and_help() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output == f"mxpublish, version {__version__}\n"
    help_text = runner.invoke(main, ["--help"]).output
    assert "Examples:" in help_text and "mxpublish build --format pdf" in help_text


def test_source_errors_are_one_line_each_no_traceback(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\ncolor: red\n---\n\nx [y](#none)\n"})
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "source/01-a.md:3: error: SCHEMA-UNKNOWN unknown key `color`" in result.output
    assert not (root / "build").exists()


def test_missing_project_and_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(tmp_path)])
    assert result.exit_code == 1 and "publication.yaml not found" in result.output
    assert runner.invoke(main, ["build", "--format", "docx"]).exit_code == 2


def test_debug_shows_the_traceback(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "no front matter"})
    result = CliRunner().invoke(main, ["--debug", "build", str(root)])
    assert result.exit_code == 1 and "Traceback" in result.output


def test_check_reports_warnings_and_strict_fails(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\nstatus: incomplete\n---\n\nto\n"})
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(root)])
    assert result.exit_code == 0
    assert "source/01-a.md:6:2: warning: TEXT-INCOMPLETE" in result.output
    assert runner.invoke(main, ["check", "--strict", str(root)]).exit_code == 1
    json_out = runner.invoke(main, ["check", "--format", "json", str(root)])
    assert '"code": "TEXT-INCOMPLETE"' in json_out.output


def test_check_the_briefing_reports_its_incomplete_section() -> None:
    result = CliRunner().invoke(main, ["check", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "source/06-political-landscape.md:6:357: warning: TEXT-INCOMPLETE" in result.output
    assert "promises to" in result.output


def test_init_creates_a_project_that_builds(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "new"
    result = runner.invoke(main, ["init", str(target), "--title", "My Brief"])
    assert result.exit_code == 0, result.output
    assert "title: My Brief" in (target / "source" / "publication.yaml").read_text()
    assert runner.invoke(main, ["check", str(target)]).exit_code == 0
    result = runner.invoke(main, ["build", str(target), "-f", "epub", "-f", "html"])
    assert result.exit_code == 0, result.output
    assert (target / "build" / "my-brief.epub").is_file()
    assert (target / "build" / "my-brief.html").is_file()
    again = runner.invoke(main, ["init", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_real_processes(tmp_path: Path, make_project: MakeProject) -> None:
    exe = [sys.executable, "-m", "mxpublish"]
    version = subprocess.run([*exe, "--version"], capture_output=True, text=True, check=True)
    assert __version__ in version.stdout
    root = make_project({})
    built = subprocess.run(
        [*exe, "build", str(root), "-f", "html", "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip() == str(tmp_path / "o" / "a-test-publication.html")
    checked = subprocess.run(
        [*exe, "check", str(root)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0 and "0 error(s)" in checked.stderr
    bad = subprocess.run(
        [*exe, "build", str(tmp_path / "missing")], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
