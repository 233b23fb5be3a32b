"""Command line: Click commands that call the core and turn its errors into exit codes."""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from mxpublish import __version__
from mxpublish.editions import DEFAULT_PDF_VARIANT, FORMATS, PDF_VARIANTS
from mxpublish.errors import Diagnostic, MxError, SourceError, raise_if_errors

EXAMPLES = """
\b
Examples:
  mxpublish build                       build PDF, EPUB and HTML into ./build
  mxpublish build --format pdf -o out   only the PDF, into ./out
  mxpublish check                       lint the sources without rendering
  mxpublish serve                       preview in a browser; reloads on every save
  mxpublish watch -f pdf                rebuild the PDF on every save
  mxpublish init my-book --template book
                                        start a new publication project
  mxpublish new section "Background"    add the next section file
  mxpublish config                      show the effective settings and their origin
"""


def _echo_diagnostics(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)


#: Exit code of an unexpected exception (a bug), as sysexits.h's EX_SOFTWARE.
EXIT_INTERNAL = 70


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # so `kill` cleans up temporary files like Ctrl-C does


class _Group(click.Group):
    """Turns MxError into ``file:line: message`` on stderr and its exit code (1, or 2 for
    usage errors); Ctrl-C and SIGTERM into exit 130; any other exception into a one-line
    "internal error" and exit 70. ``--debug`` adds the traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            previous = signal.signal(signal.SIGTERM, _terminate)
        except ValueError:  # not the main thread: leave signals alone
            previous = None
        try:
            return super().invoke(ctx)
        except MxError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            _echo_diagnostics(exc.diagnostics)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; previous outputs are untouched", err=True)
            ctx.exit(130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo(
                "  this is a bug in mxpublish; run with --debug to see the traceback", err=True
            )
            ctx.exit(EXIT_INTERNAL)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


@click.group(cls=_Group, epilog=EXAMPLES)
@click.version_option(__version__, prog_name="mxpublish")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Publish a project of Markdown sections as a print-ready PDF, an EPUB 3 and HTML."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


_PROJECT = click.argument(
    "project_dir", default=".", type=click.Path(file_okay=False, path_type=Path)
)
_FORMATS = click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    type=click.Choice([*FORMATS, "all"]),
    help="Output format; repeat for several.  [default: all]",
)
_OUTPUT = click.option(
    "--output",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory.  [default: PROJECT_DIR/build]",
)
_PDF_VARIANT = click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS),
    help="Tagged PDF/UA-1 (+a-2a: also PDF/A-2a), archival PDF/A (untagged), or a plain PDF."
    f"  [default: {DEFAULT_PDF_VARIANT}]",
)
_PAPER = click.option(
    "--paper",
    metavar="SIZE",
    help='Paper: letter, a4 or "WIDTH HEIGHT" such as "6in 9in" (overrides '
    "publication.yaml).  [default: letter]",
)
_HOST = click.option("--host", help="Address to listen on.  [default: 127.0.0.1]")
_PORT = click.option(
    "--port", type=int, help="Port to listen on; 0 picks a free one.  [default: 8000]"
)


def _build_options(func: Any) -> Any:
    """PROJECT_DIR and the options build, watch and config share."""
    for option in (_PAPER, _PDF_VARIANT, _OUTPUT, _FORMATS, _PROJECT):
        func = option(func)
    return func


def _verbosity(func: Any) -> Any:
    func = click.option("-v", "--verbose", is_flag=True, help="Show each stage's time.")(func)
    return click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")(func)


def _reporter(quiet: bool, verbose: bool) -> Any:
    from mxpublish.authoring.terminal import NORMAL, QUIET, VERBOSE, Reporter

    return Reporter(QUIET if quiet else VERBOSE if verbose else NORMAL)


def _settings(project_dir: Path, **cli: Any) -> Any:
    from mxpublish.authoring.settings import resolve

    if "formats" in cli:
        cli["formats"] = cli["formats"] or None
    return resolve(project_dir, cli)


@main.command()
@_build_options
@click.option("--release", is_flag=True, help="Refuse to build while `check --release` fails.")
@click.option(
    "--print-marks", is_flag=True, help="Add bleed and crop marks for a commercial printer."
)
@click.option(
    "--booklet",
    is_flag=True,
    help="Also write <slug>-booklet.pdf, imposed two-up for saddle-stitch printing.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 8),
    default=lambda: min(2, os.cpu_count() or 1),
    show_default="2, or 1 on a single CPU",
    help="Render formats in this many processes at once.",
)
@click.option(
    "--no-cache", is_flag=True, help="Rebuild every output, even those whose inputs did not change."
)
@click.option("--verify", "then_verify", is_flag=True, help="Then run `mxpublish verify` on them.")
@_verbosity
def build(
    project_dir: Path,
    formats: tuple[str, ...],
    out_dir: Path | None,
    pdf_variant: str | None,
    paper: str | None,
    release: bool,
    print_marks: bool,
    booklet: bool,
    jobs: int,
    no_cache: bool,
    then_verify: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Build the publication in PROJECT_DIR (default: the current directory)."""
    if then_verify:
        from mxpublish.verify.validators import require_tools

        require_tools()  # before a long build, not after it
    from mxpublish.build import build as run_build

    settings = _settings(
        project_dir, formats=formats, output=out_dir, pdf_variant=pdf_variant, paper=paper
    )
    options = settings.build_options(
        print_marks=print_marks, booklet=booklet, jobs=jobs, use_cache=not no_cache
    )
    publication = None
    if release:
        from mxpublish.check import load_and_check

        publication, found = load_and_check(project_dir, release=True, config=settings.config)
        raise_if_errors(found)
    reporter = _reporter(quiet, verbose)
    try:
        result = run_build(
            project_dir,
            options.formats,
            settings.output,
            options=options,
            progress=reporter,
            publication=publication,
            config=settings.config,
        )
    finally:
        reporter.close()
    _echo_diagnostics(result.diagnostics)
    reporter.outputs(result.outputs)
    if then_verify:
        from mxpublish.verify import verify_outputs

        paths = {o.format: o.path for o in result.outputs if o.format in ("pdf", "epub", "html")}
        _finish_verify(verify_outputs(project_dir, paths), as_json=False)


def _finish_verify(report: Any, as_json: bool) -> None:
    """Print a verify report (JSON on stdout, or the summary); exit 1 when a check failed."""
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in report.summary():
            click.echo(line)
    if not report.ok:
        sys.exit(1)


@main.command("verify")
@_PAPER
@_PDF_VARIANT
@_OUTPUT
@_PROJECT
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-j", "--jobs", type=click.IntRange(1, 8), default=1, help="Build processes.")
def verify_command(
    project_dir: Path,
    out_dir: Path | None,
    pdf_variant: str | None,
    paper: str | None,
    as_json: bool,
    jobs: int,
) -> None:
    """Build every format (unchanged outputs are reused) and check them with independent
    validators: EPUBCheck, Ace by DAISY (if installed), page (PDF/UA, PDF/A), text retention
    against the source, page list against the PDF, fonts. Exits 1 if any check fails."""
    from mxpublish.verify import verify

    settings = _settings(project_dir, output=out_dir, pdf_variant=pdf_variant, paper=paper)
    report = verify(
        project_dir,
        settings.output,
        pdf_variant=settings["pdf_variant"],
        paper=settings["paper"],
        jobs=jobs,
    )
    _finish_verify(report, as_json)


@main.command()
@_build_options
@_verbosity
def watch(
    project_dir: Path,
    formats: tuple[str, ...],
    out_dir: Path | None,
    pdf_variant: str | None,
    paper: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Rebuild the chosen formats whenever the project changes.

    Only the formats a change can affect are rebuilt (a change to styles/print.css rebuilds
    only the PDF). Stop with Ctrl-C.
    """
    from mxpublish.authoring.watch import watch as run_watch

    settings = _settings(
        project_dir, formats=formats, output=out_dir, pdf_variant=pdf_variant, paper=paper
    )
    reporter = _reporter(quiet, verbose)
    reporter.rich = False  # plain lines: a live display would fight the log of rebuilds
    reporter.line(f"watching {settings.project_root} (Ctrl-C to stop)")
    try:
        run_watch(
            project_dir,
            settings["formats"],
            settings.output,
            reporter.rebuild,
            options=settings.build_options(),
            progress=reporter if verbose else None,
        )
    except KeyboardInterrupt:
        reporter.line("stopped")


@main.command()
@_PROJECT
@_HOST
@_PORT
@_PAPER
@_verbosity
def serve(
    project_dir: Path,
    host: str | None,
    port: int | None,
    paper: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Preview the HTML edition in a browser, reloaded on every change.

    The page is built in memory (build/ is not touched) and served on localhost only,
    unless --host says otherwise. Stop with Ctrl-C.
    """
    from mxpublish.authoring.serve import serve as run_serve

    settings = _settings(project_dir, host=host, port=port, paper=paper)
    reporter = _reporter(quiet, verbose)

    def ready(url: str) -> None:
        click.echo(f"serving {url} (Ctrl-C to stop)")
        sys.stdout.flush()  # a script or test waiting for the URL reads it now

    try:
        run_serve(
            project_dir,
            settings["host"],
            settings["port"],
            options=settings.build_options(),
            on_ready=ready,
            on_rebuild=reporter.rebuild,
        )
    except KeyboardInterrupt:
        reporter.line("stopped")
    except OSError as exc:
        where = f"{settings['host']}:{settings['port']}"
        raise click.ClickException(f"cannot listen on {where}: {exc.strerror}") from exc


@main.command()
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--strict/--no-strict", default=None, help="Fail on warnings too.  [default: no]")
@click.option("--release", is_flag=True, help="Also apply the release rules (STATUS-NOT-FINAL).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("--list-rules", is_flag=True, help="List every rule id with its severity and exit.")
def check(
    project_dir: Path, strict: bool | None, release: bool, output_format: str, list_rules: bool
) -> None:
    """Lint the sources without rendering.

    Reports `file:line:col: severity: ID message`; exits 1 on errors (and on warnings with
    --strict). `--list-rules` documents every id.
    """
    from mxpublish.check import all_rules, check_project, summary

    if list_rules:
        from mxpublish.authoring.terminal import rules_listing

        click.echo(rules_listing(all_rules(), as_json=output_format == "json"))
        return
    try:
        try:
            strict = _settings(project_dir, strict=strict)["strict"]
        except SourceError:
            strict = bool(strict)  # publication.yaml is broken: check_project reports how
        found = check_project(project_dir, release=release)
    except MxError as exc:
        if output_format != "json":
            raise
        found = list(exc.diagnostics)
    if output_format == "json":
        click.echo(json.dumps([d.as_dict() for d in found], indent=2, ensure_ascii=False))
    else:
        _echo_diagnostics(found)
    errors, warnings = summary(found)
    if output_format == "text":
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--title", default="Untitled Briefing", show_default=True, help="Title for publication.yaml."
)
@click.option(
    "--template",
    type=click.Choice(["briefing", "book"]),
    default="briefing",
    show_default=True,
    help="A short briefing, or a book with a preface and chapters.",
)
def init(directory: Path, title: str, template: str) -> None:
    """Create a new publication project in DIRECTORY that builds as is."""
    from mxpublish.authoring.scaffold import create_project

    for path in create_project(directory, title, template=template):
        click.echo(str(path))


@main.group()
def new() -> None:
    """Add a part to a project."""


@new.command("section")
@click.argument("title")
@click.option(
    "--project",
    "project_dir",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="The project.  [default: the current directory]",
)
@click.option(
    "--status",
    type=click.Choice(["draft", "review", "final"]),
    default="draft",
    show_default=True,
    help="The new section's status.",
)
def new_section(title: str, project_dir: Path, status: str) -> None:
    """Add source/NN-slug.md, numbered after the last section, with front matter."""
    from mxpublish.authoring.scaffold import create_section

    click.echo(str(create_section(project_dir, title, status=status)))


@main.command("config")
@_build_options
@click.option("--strict/--no-strict", default=None, help="As for `check`.")
@_HOST
@_PORT
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_config(
    project_dir: Path,
    formats: tuple[str, ...],
    out_dir: Path | None,
    pdf_variant: str | None,
    paper: str | None,
    strict: bool | None,
    host: str | None,
    port: int | None,
    as_json: bool,
) -> None:
    """Print the effective settings and where each comes from.

    Precedence: command line > MXPUBLISH_* environment > publication.yaml > defaults.
    """
    from mxpublish.authoring.terminal import settings_listing

    settings = _settings(
        project_dir,
        formats=formats,
        output=out_dir,
        pdf_variant=pdf_variant,
        paper=paper,
        strict=strict,
        host=host,
        port=port,
    )
    click.echo(settings_listing(settings, as_json=as_json))
