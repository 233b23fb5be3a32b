"""The command group, its error handling and the options the commands share."""

from __future__ import annotations

import os
import signal
import traceback
from pathlib import Path
from typing import Any

import click

from mxpublish import __version__
from mxpublish.editions import DEFAULT_PDF_VARIANT, FORMATS, PDF_VARIANTS
from mxpublish.errors import Diagnostic, MxError

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
  mxpublish dist --release --copies recipients.csv
                                        the release bundle in ./dist, with numbered copies
  mxpublish diff dist/brief-1.0 .       what changed since the distributed edition 1.0
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
_JOBS = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 8),
    default=lambda: min(2, os.cpu_count() or 1),
    show_default="2, or 1 on a single CPU",
    help="Render formats in this many processes at once.",
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
