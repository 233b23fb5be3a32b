"""Command line: Click commands that call the core and turn its errors into exit codes."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import click

from mxpublish import __version__
from mxpublish.errors import Diagnostic, MxError

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


class _Group(click.Group):
    """Turns MxError into ``file:line: message`` on stderr and exit 1, unless --debug."""

    def invoke(self, ctx: click.Context) -> object:
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
    project_dir: Path, strict: bool, release: bool, output_format: str, list_rules: bool
) -> None:
    """Lint the sources without rendering; report `file:line:col: severity: ID message`."""
    from mxpublish.check import all_rules, check_project, summary

    if list_rules:
        rules = all_rules()
        if output_format == "json":
            rows = [{"id": r.id, "severity": r.severity.value, "summary": r.summary} for r in rules]
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        width = max(len(r.id) for r in rules)
        for rule in rules:
            when = " (release)" if rule.release else ""
            click.echo(f"{rule.id:<{width}}  {rule.severity.value:<7}  {rule.summary}{when}")
        return
    try:
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
def init(directory: Path, title: str) -> None:
    """Create a new publication project in DIRECTORY that builds as is."""
    from mxpublish.scaffold import create_project

    for path in create_project(directory, title):
        click.echo(str(path))
