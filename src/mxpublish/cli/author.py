"""Commands for the author: check, init, new section, config."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mxpublish.cli.app import (
    _HOST,
    _PORT,
    _build_options,
    _echo_diagnostics,
    _settings,
    main,
)
from mxpublish.errors import MxError, SourceError


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
    from mxpublish.check import all_rules, load_and_check, summary

    if list_rules:
        from mxpublish.authoring.terminal import rules_listing

        click.echo(rules_listing(all_rules(), as_json=output_format == "json"))
        return
    loaded = None
    try:
        config = None
        try:
            settings = _settings(project_dir, strict=strict)
            strict, config = settings["strict"], settings.config
        except SourceError:
            strict = bool(strict)  # publication.yaml is broken: load_and_check reports how
        loaded, found = load_and_check(project_dir, release=release, config=config)
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
        if loaded is None and errors:  # the text rules need the loaded publication
            click.echo(
                "the rules over the text (links, sentences, glyphs…) run once these errors "
                "are fixed",
                err=True,
            )
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
