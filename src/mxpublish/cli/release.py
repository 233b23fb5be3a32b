"""Commands for distribution: dist, diff."""

from __future__ import annotations

from pathlib import Path

import click

from mxpublish.cli.app import (
    _JOBS,
    _OUTPUT,
    _PROJECT,
    _echo_diagnostics,
    main,
)


@main.command()
@_PROJECT
@_OUTPUT
@click.option(
    "--release", is_flag=True, help="Refuse drafts and failed checks (`check --release`)."
)
@click.option(
    "--copies",
    metavar="N|FILE.csv",
    help="Also write numbered copies: N anonymous ones, or one per recipient in a CSV file.",
)
@click.option(
    "--sign",
    "sign_key",
    metavar="KEY.pem",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign every PDF (PAdES, invisible) with this private key; needs --cert.",
)
@click.option(
    "--cert",
    metavar="CERT.pem",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signing key's certificate.",
)
@_JOBS
def dist(
    project_dir: Path,
    out_dir: Path | None,
    release: bool,
    copies: str | None,
    sign_key: Path | None,
    cert: Path | None,
    jobs: int,
) -> None:
    """Write the distribution bundle dist/<slug>-<version>/ and its zip.

    Every edition (screen PDF, print-shop PDF with bleed and crop marks, booklet, EPUB,
    HTML), SHA256SUMS, manifest.json and the section texts a later `mxpublish diff` reads.
    Stdout lists the files written, one a line.
    """
    from mxpublish.dist.bundle import Signing, make_dist
    from mxpublish.dist.copies import parse_copies

    if (sign_key is None) != (cert is None):
        raise click.UsageError("--sign and --cert go together")
    result = make_dist(
        project_dir,
        out_dir,
        release=release,
        copies=parse_copies(copies) if copies else (),
        signing=Signing(sign_key, cert) if sign_key and cert else None,
        jobs=jobs,
    )
    _echo_diagnostics(result.diagnostics)
    for path in result.files:
        click.echo(str(path))
    click.echo(str(result.archive))
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.seconds.items())
    click.echo(f"{result.folder}: {len(result.files)} files ({timings})", err=True)


@main.command("diff")
@click.argument("old")
@click.argument("new", default=".", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--output",
    "-o",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the change summary as HTML here.",
)
def edition_diff(old: str, new: Path, out_file: Path | None) -> None:
    """The words added and removed per section between two editions.

    OLD and NEW are each a distribution bundle (folder or zip) or a project; OLD may also be
    git:REVISION, the NEW project as committed at that revision (e.g. git:v1.0).
    """
    from mxpublish.dist.diff import (
        changes_html,
        diff_editions,
        read_edition,
        read_git_edition,
        summary_lines,
    )
    from mxpublish.project import atomic_write

    if old.startswith("git:"):
        before = read_git_edition(old.removeprefix("git:"), new)
    else:
        before = read_edition(Path(old))
    after = read_edition(new)
    diffs = diff_editions(before, after)
    for line in summary_lines(diffs):
        click.echo(line)
    if out_file:
        atomic_write(out_file, changes_html(diffs, before, after).encode("utf-8"))
        click.echo(str(out_file), err=True)
