"""Command line: Click commands that call the core and turn its errors into exit codes."""

from __future__ import annotations

import json
import signal
import sys
import traceback
from pathlib import Path

import click

from mxpublish import __version__
from mxpublish.errors import Diagnostic, MxError, Severity

EXAMPLES = """
\b
Examples:
  mxpublish build                       build PDF, EPUB and HTML into ./build
  mxpublish build --format pdf -o out   only the PDF, into ./out
  mxpublish check                       validate the sources without rendering
  mxpublish init my-briefing            start a new publication project
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


@main.command()
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    type=click.Choice(["pdf", "epub", "html", "all"]),
    default=("all",),
    show_default=True,
    help="Output format; repeat for several.",
)
@click.option(
    "--output",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (default: PROJECT_DIR/build).",
)
@click.option(
    "--pdf-variant",
    default="pdf/ua-1",
    show_default=True,
    type=click.Choice(["pdf/ua-1", "pdf/a-3u", "none"]),
    help="Tagged PDF/UA-1, archival PDF/A-3u, or a plain PDF.",
)
def build(
    project_dir: Path, formats: tuple[str, ...], out_dir: Path | None, pdf_variant: str
) -> None:
    """Build the publication in PROJECT_DIR (default: the current directory)."""
    from mxpublish.build import FORMATS
    from mxpublish.build import build as run_build

    wanted = FORMATS if "all" in formats else formats
    result = run_build(project_dir, wanted, out_dir, pdf_variant=pdf_variant)
    _echo_diagnostics(result.diagnostics)
    for output in result.outputs:
        click.echo(str(output.path))


@main.command()
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
def check(project_dir: Path, strict: bool, output_format: str) -> None:
    """Validate the sources without rendering: schema, order, ids, links, unfinished text."""
    from mxpublish.build import check_styles, load
    from mxpublish.check import lint

    try:
        project, publication = load(project_dir)
        check_styles(project)
        found = lint(publication)
    except MxError as exc:
        if output_format != "json":
            raise
        found = list(exc.diagnostics)
    if output_format == "json":
        click.echo(json.dumps([d.as_dict() for d in found], indent=2, ensure_ascii=False))
    else:
        _echo_diagnostics(found)
    errors = sum(d.severity is Severity.ERROR for d in found)
    warnings = sum(d.severity is Severity.WARNING for d in found)
    if output_format == "text":
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--title", default="Untitled Briefing", show_default=True, help="Title for publication.yaml."
)
def init(directory: Path, title: str) -> None:
    """Create a new publication project in DIRECTORY that builds as is."""
    from mxpublish.scaffold import create_project

    for path in create_project(directory, title):
        click.echo(str(path))
