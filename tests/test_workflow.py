"""The author's workflow around a build: progress and summary, -q/-v, the settings'
precedence and `mxpublish config`, `new section`, shell completion."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINIMAL_CONFIG, MakeProject
from mxpublish.authoring.settings import resolve
from mxpublish.authoring.terminal import NORMAL, VERBOSE, Reporter, human_size
from mxpublish.build import Output, build
from mxpublish.cli import main
from mxpublish.errors import ProjectError, SourceError
from mxpublish.progress import StageEvent

MX = [sys.executable, "-m", "mxpublish"]
SCRIPT = [str(Path(sys.executable).parent / "mxpublish")]  # completion keys on the program name


def _run(
    *args: str, env: dict[str, str] | None = None, exe: list[str] = MX
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*exe, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


# --- progress and summary --------------------------------------------------------------


def test_build_reports_each_stage_through_the_callback(
    make_project: MakeProject, tmp_path: Path
) -> None:
    events: list[StageEvent] = []
    build(make_project({}), ["epub", "html"], tmp_path / "out", progress=events.append)
    assert [(e.stage, e.index, e.total, e.finished) for e in events] == [
        ("load", 1, 3, False),
        ("load", 1, 3, True),
        ("epub", 2, 3, False),
        ("epub", 2, 3, True),
        ("html", 3, 3, False),
        ("html", 3, 3, True),
    ]
    assert all(e.seconds >= 0 for e in events)


def test_plain_progress_summary_quiet_and_verbose(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project({})
    out = tmp_path / "o"
    html = out / "a-test-publication.html"
    normal = _run("build", str(root), "-f", "html", "-o", str(out))
    assert normal.returncode == 0, normal.stderr
    assert normal.stdout == f"{html}\n"  # piped: bare paths, for scripts
    lines = normal.stderr.splitlines()
    assert lines[:2] == ["[1/2] reading sources", "[2/2] HTML"]
    assert lines[2].startswith(f"wrote {html}  ") and lines[2].endswith(" kB")
    verbose = _run("build", str(root), "-f", "html", "-o", str(out), "-v", "--no-cache")
    assert "[2/2] HTML: " in verbose.stderr and verbose.stderr.rstrip().endswith(" s")
    assert "total " in verbose.stderr
    quiet = _run("build", str(root), "-f", "html", "-o", str(out), "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    unchanged = _run("build", str(root), "-f", "html", "-o", str(out))
    assert unchanged.stderr.splitlines() == [f"unchanged {html}  {lines[2].split('  ')[1]}"]


@pytest.mark.slow
def test_on_a_terminal_progress_is_rich_and_the_summary_a_table(
    make_project: MakeProject, tmp_path: Path
) -> None:
    """A real pseudo-terminal: what a user sees when typing `mxpublish build -v`."""
    root = make_project({})
    leader, follower = os.openpty()
    process = subprocess.Popen(
        [*MX, "build", str(root), "-f", "pdf", "-f", "html", "-o", str(tmp_path / "o"), "-v"],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "COLUMNS": "160", "TERM": "xterm"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "\x1b[" in screen  # styled by rich
    assert "✓" in screen and "PDF" in screen  # a finished stage with its time (-v)
    for header in ("output", "size", "pages", "time"):
        assert header in screen
    pdf = tmp_path / "o" / "a-test-publication.pdf"
    row = next(line for line in screen.splitlines() if str(pdf) in line)
    assert human_size(pdf.stat().st_size) in row and " 3 " in f"{row} "[len(str(pdf)) :]


def test_rich_reporter_table_without_a_terminal() -> None:
    err, out = io.StringIO(), io.StringIO()
    out.isatty = lambda: True  # type: ignore[method-assign]
    reporter = Reporter(VERBOSE, err=err, out=out, rich=True)
    reporter(StageEvent("load", 1, 2, False))
    reporter(StageEvent("load", 1, 2, True, 0.01))
    reporter(StageEvent("pdf", 2, 2, False))
    reporter(StageEvent("pdf", 2, 2, True, 1.5))
    reporter.outputs([Output("pdf", Path("build/x.pdf"), 123_456, 7)])
    table = out.getvalue()
    assert "build/x.pdf" in table and "123.5 kB" in table and "1.50 s" in table
    assert " 7 " in table and "total" in table
    assert "✓" in err.getvalue()


def test_human_size() -> None:
    assert [human_size(n) for n in (999, 1000, 45_300, 1_234_567)] == [
        "999 B",
        "1.0 kB",
        "45.3 kB",
        "1.2 MB",
    ]
    assert Reporter(NORMAL, err=io.StringIO()).rich is False


# --- settings ----------------------------------------------------------------------------


def test_precedence_cli_over_env_over_yaml_over_defaults(make_project: MakeProject) -> None:
    config = MINIMAL_CONFIG + "paper: a4\nbuild:\n  output: dist\n  formats: [pdf, html]\n"
    root = make_project({"source/publication.yaml": config})
    settings = resolve(root, {}, env={})
    assert settings["paper"] == "a4" and settings.values["paper"].origin.endswith(".yaml:6")
    assert settings.output == root.resolve() / "dist"
    assert settings["formats"] == ("pdf", "html")
    assert settings["pdf_variant"] == "pdf/ua-1" and settings.values["pdf_variant"].origin == (
        "default"
    )
    env = {"MXPUBLISH_PAPER": "letter", "MXPUBLISH_FORMATS": "epub", "MXPUBLISH_PORT": "9000"}
    settings = resolve(root, {}, env=env)
    assert settings["paper"] == "letter" and settings["formats"] == ("epub",)
    assert settings["port"] == 9000
    assert settings.values["paper"].origin == "environment MXPUBLISH_PAPER"
    settings = resolve(root, {"paper": "a4", "formats": ["all"], "output": "x"}, env=env)
    assert settings["paper"] == "a4" and settings["formats"] == ("pdf", "epub", "html")
    assert settings.output == Path("x")  # relative to the working directory, as typed
    assert {v.origin for k, v in settings.values.items() if k != "port"} >= {"command line"}


def test_bad_settings_name_their_source(make_project: MakeProject) -> None:
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + "serve:\n  port: 99999\n"})
    with pytest.raises(SourceError) as from_yaml:
        resolve(root, {}, env={})
    assert (
        from_yaml.value.diagnostics[0]
        .format()
        .startswith(
            "source/publication.yaml:6: error: SETTING-VALUE port (serve.port) must be a port"
        )
    )
    with pytest.raises(ProjectError) as from_env:
        resolve(make_project({}), {}, env={"MXPUBLISH_FORMATS": "docx"})
    assert "formats (environment MXPUBLISH_FORMATS) must be formats from" in str(from_env.value)


def test_config_command_shows_values_and_origins(make_project: MakeProject) -> None:
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + "check:\n  strict: true\n"})
    runner = CliRunner()
    result = runner.invoke(
        main, ["config", str(root), "--port", "0"], env={"MXPUBLISH_PDF_VARIANT": "pdf/a-3u"}
    )
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert lines["port"].split()[:2] == ["port", "0"] and "# command line" in lines["port"]
    assert (
        "pdf/a-3u" in lines["pdf_variant"]
        and "environment MXPUBLISH_PDF_VARIANT" in (lines["pdf_variant"])
    )
    assert "true" in lines["strict"] and "source/publication.yaml:6" in lines["strict"]
    assert "# default" in lines["host"]
    data = json.loads(runner.invoke(main, ["config", str(root), "--json"]).output)
    assert data["strict"]["value"] is True and data["port"]["value"] == 8000
    assert data["formats"]["value"] == ["pdf", "epub", "html"]


def test_strict_from_publication_yaml_and_no_strict_on_the_command_line(
    make_project: MakeProject,
) -> None:
    config = MINIMAL_CONFIG + "check:\n  strict: true\n"
    root = make_project(
        {
            "source/publication.yaml": config,
            "source/01-a.md": "---\ntitle: A\n---\n\nThe the end.\n",
        }
    )
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(root)]).exit_code == 1
    assert runner.invoke(main, ["check", "--no-strict", str(root)]).exit_code == 0
    assert runner.invoke(main, ["check", str(root)], env={"MXPUBLISH_STRICT": "0"}).exit_code == 0


def test_build_takes_paper_from_the_environment(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({})
    result = CliRunner().invoke(
        main,
        ["build", str(root), "-f", "html", "-o", str(tmp_path / "o")],
        env={"MXPUBLISH_PAPER": "a4"},
    )
    assert result.exit_code == 0, result.output
    assert 'class="web paper-a4"' in (tmp_path / "o" / "a-test-publication.html").read_text()


def test_build_release_refuses_drafts(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"source/01-a.md": "---\ntitle: A\nstatus: draft\n---\n\nText.\n"})
    result = CliRunner().invoke(main, ["build", str(root), "--release", "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "source/01-a.md:3:9: error: STATUS-NOT-FINAL" in result.output
    assert not (tmp_path / "o").exists()


# --- new section ----------------------------------------------------------------------------


def test_new_section_numbers_slugs_and_front_matter(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/01-a.md": "---\ntitle: A\n---\n\nA.\n",
            "source/07-b.md": "---\ntitle: B\n---\n\nB.\n",
        }
    )
    runner = CliRunner()
    result = runner.invoke(
        main, ["new", "section", "What's Next: Café Talks", "--project", str(root)]
    )
    assert result.exit_code == 0, result.output
    path = root / "source" / "08-what-s-next-cafe-talks.md"
    assert result.output.strip() == str(path.resolve())
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 'What''s Next: Café Talks'\nstatus: draft\n---\n\n")
    check = runner.invoke(main, ["check", str(root), "--release"])
    assert "source/08-what-s-next-cafe-talks.md:3:9: error: STATUS-NOT-FINAL" in check.output
    again = runner.invoke(
        main, ["new", "section", "What's next: cafe talks", "--project", str(root)]
    )
    assert again.exit_code == 1 and "already exists" in again.output


def test_new_section_keeps_a_wider_numbering(make_project: MakeProject) -> None:
    root = make_project({"source/009-a.md": "---\ntitle: A\n---\n\nA.\n"})
    result = CliRunner().invoke(
        main, ["new", "section", "B", "--project", str(root), "--status", "final"]
    )
    assert result.exit_code == 0, result.output
    assert (root / "source" / "010-b.md").read_text().startswith("---\ntitle: B\nstatus: final\n")


# --- shell completion -----------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts(shell: str) -> None:
    result = _run(env={"_MXPUBLISH_COMPLETE": f"{shell}_source"}, exe=SCRIPT)
    assert result.returncode == 0 and "_MXPUBLISH_COMPLETE" in result.stdout


def test_completion_completes_commands_and_choices() -> None:
    words = _run(
        env={
            "_MXPUBLISH_COMPLETE": "bash_complete",
            "COMP_WORDS": "mxpublish se",
            "COMP_CWORD": "1",
        },
        exe=SCRIPT,
    )
    assert words.stdout.split() == ["plain,serve"]
    formats = _run(
        env={
            "_MXPUBLISH_COMPLETE": "bash_complete",
            "COMP_WORDS": "mxpublish build --format e",
            "COMP_CWORD": "3",
        },
        exe=SCRIPT,
    )
    assert formats.stdout.split() == ["plain,epub"]


def test_check_reports_a_broken_publication_yaml_with_its_summary(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + "check: {strict: maybe}\n"})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 1
    assert "source/publication.yaml:6: error: SCHEMA-TYPE `check.strict` must be true or false" in (
        result.output
    )
    assert "1 error(s), 0 warning(s)" in result.output
