"""The pipeline: project → model → HTML → PDF / EPUB / HTML files, each written atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from mxpublish.assemble import (
    document_html,
    environment,
    epub_asset_names,
    epub_documents,
    fonts_css,
    long_date,
    stylesheet,
)
from mxpublish.assets import read_asset
from mxpublish.config import paper_css
from mxpublish.cover import cover_png
from mxpublish.errors import Diagnostic, ProjectError, SourceError, error
from mxpublish.fonts import FACES, font_dirs, subset
from mxpublish.markdown import create_parser
from mxpublish.model import PageStart, Publication
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


_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}

#: Bleed and crop/cross marks for a commercial print shop (``--print-marks``).
PRINT_MARKS_CSS = "\n@page { bleed: 0.25in; marks: crop cross; }\n"


def _paper_css(value: str) -> str:
    try:
        return paper_css(value)
    except ValueError as exc:
        raise ProjectError(error("PAPER", str(exc))) from exc


def _cover(project: Project, publication: Publication) -> tuple[str, str, bytes]:
    """(name inside EPUB/, media type, bytes) of the cover: the image publication.yaml names,
    or one drawn from the title metadata."""
    meta = publication.metadata
    if meta.cover:
        file = project.relative(project.config_path)
        path = project.resolve_inside(meta.cover, project.source_dir, file=file)
        media_type = _IMAGE_TYPES.get(path.suffix.lower())
        if media_type is None or not path.is_file():
            problem = "is not a PNG, JPEG, GIF or SVG file" if path.is_file() else "not found"
            raise SourceError(error("COVER", f"cover image {meta.cover!r} {problem}", file))
        return f"images/cover{path.suffix.lower()}", media_type, path.read_bytes()
    date_text = long_date(meta.date, meta.language)
    return "images/cover.png", "image/png", cover_png(meta, date_text)


def build(
    project_dir: Path | str,
    formats: Iterable[str] = FORMATS,
    out_dir: Path | str | None = None,
    *,
    pdf_variant: str = "pdf/ua-1",
    paper: str | None = None,
    print_marks: bool = False,
    booklet: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the requested formats; return what was written and every warning.

    ``paper`` overrides publication.yaml's; ``print_marks`` adds bleed and crop marks;
    ``booklet`` also writes ``<slug>-booklet.pdf``, imposed for saddle-stitch printing. When
    all three formats are built, ``SHA256SUMS`` lists the outputs' checksums. ``progress`` is
    told when each stage starts and ends.
    Raises an MxError subclass on bad input or a failed render; an output is replaced only
    when its new version is complete, so a failed build leaves the previous files intact.
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
    stages = Stages(["load", *wanted], progress)
    stages.start("load")
    project, publication = load(project_dir)
    if paper is not None:
        _paper_css(paper)
        meta = replace(publication.metadata, paper=paper.strip().lower())
        publication = replace(publication, metadata=meta)
    target = Path(out_dir) if out_dir else project.build_dir
    env = environment(project)
    slug = publication.metadata.slug
    modified = build_time(publication)
    outputs: list[Output] = []
    diagnostics: list[Diagnostic] = []

    page_starts: tuple[PageStart, ...] = ()
    if "pdf" in wanted or "epub" in wanted or booklet:
        # The EPUB's page list comes from the print layout, so lay it out for either format.
        if "pdf" in wanted or "epub" in wanted:
            stages.start("pdf" if "pdf" in wanted else "epub")
        from mxpublish.render.pdf import render_pdf

        css = (
            fonts_css(lambda face: face.path.resolve().as_uri())
            + stylesheet(project, "print")
            + f"\n@page {{ size: {_paper_css(publication.metadata.paper)}; }}\n"
            + (PRINT_MARKS_CSS if print_marks else "")
        )
        html = document_html(publication, env, "print", toc_depth=1, modified=modified)
        write_pdf = "pdf" in wanted or booklet
        result = render_pdf(
            publication, html, css, roots=font_dirs(), variant=pdf_variant, write=write_pdf
        )
        diagnostics.extend(result.diagnostics)
        page_starts = result.page_starts
        if "pdf" in wanted:
            path = target / f"{slug}.pdf"
            atomic_write(path, result.data)
            outputs.append(Output("pdf", path, len(result.data), result.pages))
        if booklet:
            from mxpublish.render.impose import booklet_order, impose_booklet

            data = impose_booklet(result.data)
            path = target / f"{slug}-booklet.pdf"
            atomic_write(path, data)
            outputs.append(Output("booklet", path, len(data), len(booklet_order(result.pages))))

    if "epub" in wanted:
        if "pdf" in wanted:
            stages.start("epub")
        from mxpublish.render.epub import EpubResource, render_epub

        cover_name, cover_type, cover_data = _cover(project, publication)
        documents = epub_documents(publication, env, page_starts, cover_image=cover_name)
        text = "".join(d.content for d in documents)
        css = fonts_css(lambda face: f"../fonts/{face.filename}") + stylesheet(project, "epub")
        resources = [
            EpubResource("styles/epub.css", "text/css", css.encode("utf-8")),
            EpubResource(cover_name, cover_type, cover_data, ("cover-image",)),
        ]
        resources += [
            EpubResource(f"fonts/{face.filename}", face.media_type, subset(face, text))
            for face in FACES
        ]
        resources += [
            EpubResource(name, asset.media_type, read_asset(project.root, asset))
            for asset, name in epub_asset_names(publication).items()
        ]
        data = render_epub(
            publication, documents, resources, modified, has_page_list=bool(page_starts)
        )
        path = target / f"{slug}.epub"
        atomic_write(path, data)
        outputs.append(Output("epub", path, len(data)))

    if "html" in wanted:
        stages.start("html")
        data = html_edition(project, publication, env, modified)
        path = target / f"{slug}.html"
        atomic_write(path, data)
        outputs.append(Output("html", path, len(data)))

    if set(wanted) == set(FORMATS):
        sums = "".join(
            f"{hashlib.sha256(o.path.read_bytes()).hexdigest()}  {o.path.name}\n"
            for o in sorted(outputs, key=lambda o: o.path.name)
        )
        path = target / "SHA256SUMS"
        atomic_write(path, sums.encode("ascii"))
        outputs.append(Output("checksums", path, len(sums)))

    stages.finish()
    return BuildResult(tuple(outputs), tuple(diagnostics))


def html_edition(
    project: Project,
    publication: Publication,
    env: jinja2.Environment,
    modified: dt.datetime | None = None,
) -> bytes:
    """The single-file HTML edition as bytes, written by ``build`` and served by ``serve``."""
    from mxpublish.render.html import data_uri, inline_fonts_css, render_html

    draft = document_html(publication, env, "web", toc_depth=2, modified=modified)
    css = inline_fonts_css(draft) + stylesheet(project, "web")
    images = {a: data_uri(a.media_type, read_asset(project.root, a)) for a in publication.assets}
    document = document_html(
        publication,
        env,
        "web",
        css=css,
        toc_depth=2,
        modified=modified,
        image_url=images.__getitem__,
    )
    return render_html(document)
