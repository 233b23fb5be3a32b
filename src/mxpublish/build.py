"""The pipeline: project → model → HTML → PDF / EPUB / HTML files, each written atomically."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mxpublish.assemble import (
    document_html,
    environment,
    epub_documents,
    fonts_css,
    stylesheet,
)
from mxpublish.errors import Diagnostic, UsageError, error
from mxpublish.fonts import FACES, font_dirs, subset
from mxpublish.model import PAPER_SIZES, Publication
from mxpublish.project import Project, atomic_write, check_writable, find_project
from mxpublish.source import load_publication

FORMATS = ("pdf", "epub", "html")


@dataclass(frozen=True)
class Output:
    format: str
    path: Path
    size: int
    pages: int | None = None


@dataclass(frozen=True)
class BuildResult:
    outputs: tuple[Output, ...]
    diagnostics: tuple[Diagnostic, ...]


def build_time(publication: Publication) -> dt.datetime:
    """The one timestamp every output records: ``SOURCE_DATE_EPOCH`` when set (reproducible
    builds), else midnight UTC of the publication date. Never the clock.

    Raises UsageError for a malformed or out-of-range ``SOURCE_DATE_EPOCH`` (as the
    reproducible-builds specification asks) instead of ignoring it.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
        except (ValueError, OverflowError, OSError) as exc:
            raise UsageError(
                error(
                    "SOURCE-DATE-EPOCH",
                    f"SOURCE_DATE_EPOCH={epoch!r} is not a usable time: {exc}",
                    hint="set it to whole seconds since 1970-01-01 UTC, or unset it",
                )
            ) from exc
    date = publication.metadata.date
    return dt.datetime(date.year, date.month, date.day)


def load(project_dir: Path | str) -> tuple[Project, Publication]:
    project = find_project(project_dir)
    return project, load_publication(project)


def check_styles(project: Project) -> None:
    """Read every edition's stylesheet and the template folder as a build would, so `check`
    reports sandbox and resource errors in them without rendering. Raises MxError."""
    environment(project)
    for medium in ("print", "epub", "web"):
        stylesheet(project, medium)


def build(
    project_dir: Path | str,
    formats: Iterable[str] = FORMATS,
    out_dir: Path | str | None = None,
    *,
    pdf_variant: str = "pdf/ua-1",
) -> BuildResult:
    """Build the requested formats; return what was written and every warning.

    Raises an MxError subclass on bad input or a failed render; an output is replaced only
    when its new version is complete, so a failed build leaves the previous files intact.
    """
    wanted = [f for f in FORMATS if f in set(formats)]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise UsageError(
            error(
                "FORMAT-UNKNOWN",
                f"unknown format {sorted(unknown)[0]!r}",
                hint="choose from " + ", ".join(FORMATS),
            )
        )
    project, publication = load(project_dir)
    target = Path(out_dir) if out_dir else project.build_dir
    check_writable(target)
    build_time(publication)  # a bad SOURCE_DATE_EPOCH stops the build before any render
    env = environment(project)
    slug = publication.metadata.slug
    outputs: list[Output] = []
    diagnostics: list[Diagnostic] = []

    if "pdf" in wanted:
        from mxpublish.render.pdf import render_pdf

        size = PAPER_SIZES[publication.metadata.paper]
        css = (
            fonts_css(lambda face: face.path.resolve().as_uri())
            + stylesheet(project, "print")
            + f"\n@page {{ size: {size}; }}\n"
        )
        html = document_html(publication, env, "print", toc_depth=1)
        result = render_pdf(publication, html, css, roots=font_dirs(), variant=pdf_variant)
        diagnostics.extend(result.diagnostics)
        path = target / f"{slug}.pdf"
        atomic_write(path, result.data)
        outputs.append(Output("pdf", path, len(result.data), result.pages))

    if "epub" in wanted:
        from mxpublish.render.epub import EpubResource, render_epub

        documents = epub_documents(publication, env)
        text = "".join(d.content for d in documents)
        css = fonts_css(lambda face: f"../fonts/{face.filename}") + stylesheet(project, "epub")
        resources = [EpubResource("styles/epub.css", "text/css", css.encode("utf-8"))]
        resources += [
            EpubResource(f"fonts/{face.filename}", face.media_type, subset(face, text))
            for face in FACES
        ]
        data = render_epub(publication, documents, resources, build_time(publication))
        path = target / f"{slug}.epub"
        atomic_write(path, data)
        outputs.append(Output("epub", path, len(data)))

    if "html" in wanted:
        from mxpublish.render.html import inline_fonts_css, render_html

        draft = document_html(publication, env, "web", toc_depth=2)
        css = inline_fonts_css(draft) + stylesheet(project, "web")
        data = render_html(document_html(publication, env, "web", css=css, toc_depth=2))
        path = target / f"{slug}.html"
        atomic_write(path, data)
        outputs.append(Output("html", path, len(data)))

    return BuildResult(tuple(outputs), tuple(diagnostics))
