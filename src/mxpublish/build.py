"""The pipeline: project → model → HTML → PDF / EPUB / HTML files, each written atomically."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from mxpublish.assemble import (
    document_html,
    environment,
    epub_documents,
    fonts_css,
    stylesheet,
)
from mxpublish.errors import Diagnostic, ProjectError, error
from mxpublish.fonts import FACES, font_dirs, subset
from mxpublish.markdown import create_parser
from mxpublish.model import PAPER_SIZES, Publication
from mxpublish.progress import Progress, Stages
from mxpublish.project import Project, atomic_write, find_project
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
    builds), else midnight UTC of the publication date. Never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    date = publication.metadata.date
    return dt.datetime(date.year, date.month, date.day)


def load(project_dir: Path | str) -> tuple[Project, Publication]:
    project = find_project(project_dir)
    return project, load_publication(project, create_parser())


def build(
    project_dir: Path | str,
    formats: Iterable[str] = FORMATS,
    out_dir: Path | str | None = None,
    *,
    pdf_variant: str = "pdf/ua-1",
    paper: str | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the requested formats; return what was written and every warning.

    ``paper`` overrides publication.yaml's; ``progress`` is told when each stage starts and
    ends. Raises an MxError subclass on bad input or a failed render; an output is replaced
    only when its new version is complete, so a failed build leaves the previous files intact.
    """
    wanted = [f for f in FORMATS if f in set(formats)]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ProjectError(
            error(
                "FORMAT-UNKNOWN",
                f"unknown format {sorted(unknown)[0]!r}",
                hint="choose from " + ", ".join(FORMATS),
            )
        )
    if paper is not None and paper not in PAPER_SIZES:
        raise ProjectError(
            error("PAPER-UNKNOWN", f"unknown paper {paper!r}", hint="choose letter or a4")
        )
    stages = Stages(["load", *wanted], progress)
    stages.start("load")
    project, publication = load(project_dir)
    if paper is not None:
        publication = replace(publication, metadata=replace(publication.metadata, paper=paper))
    target = Path(out_dir) if out_dir else project.build_dir
    env = environment(project)
    slug = publication.metadata.slug
    outputs: list[Output] = []
    diagnostics: list[Diagnostic] = []

    if "pdf" in wanted:
        stages.start("pdf")
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
        stages.start("epub")
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
        stages.start("html")
        data = html_edition(project, publication, env)
        path = target / f"{slug}.html"
        atomic_write(path, data)
        outputs.append(Output("html", path, len(data)))

    stages.finish()
    return BuildResult(tuple(outputs), tuple(diagnostics))


def html_edition(project: Project, publication: Publication, env: jinja2.Environment) -> bytes:
    """The single-file HTML edition as bytes, written by ``build`` and served by ``serve``."""
    from mxpublish.render.html import inline_fonts_css, render_html

    draft = document_html(publication, env, "web", toc_depth=2)
    css = inline_fonts_css(draft) + stylesheet(project, "web")
    return render_html(document_html(publication, env, "web", css=css, toc_depth=2))
