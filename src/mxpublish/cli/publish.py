"""Commands that build: build, verify, watch, serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mxpublish.cli.app import (
    _HOST,
    _JOBS,
    _OUTPUT,
    _PAPER,
    _PDF_VARIANT,
    _PORT,
    _PROJECT,
    _build_options,
    _echo_diagnostics,
    _reporter,
    _settings,
    _verbosity,
    main,
)
from mxpublish.errors import raise_if_errors


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
@_JOBS
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
