"""The pipeline: project → model → HTML → PDF / EPUB / HTML files, each written atomically.

Outputs whose inputs have not changed are kept (see cache.py); with ``jobs`` > 1 the EPUB and
HTML editions are rendered in worker processes while this one lays out and writes the PDF.
Heavy modules are imported where they are used, so a no-op rebuild stays cheap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mxpublish.assemble.fonts import FACES
from mxpublish.cache import BuildCache, CachedOutput, fingerprint
from mxpublish.errors import Diagnostic, SourceError, UsageError, error, warning
from mxpublish.model import PageStart, Publication
from mxpublish.progress import Progress, Stages
from mxpublish.project import Project, atomic_write, check_writable, find_project

if TYPE_CHECKING:
    import jinja2

FORMATS = ("pdf", "epub", "html")

#: Stylesheets each format does not read: a change to one of them leaves that format alone.
#: The EPUB reads the print styles too, since its page list comes from the print layout.
_UNUSED_STYLES = {
    "pdf": frozenset({"epub.css", "web.css"}),
    "booklet": frozenset({"epub.css", "web.css"}),
    "layout": frozenset({"epub.css", "web.css"}),
    "epub": frozenset({"web.css"}),
    "html": frozenset({"print.css", "epub.css"}),
}


@dataclass(frozen=True)
class Output:
    format: str
    path: Path
    size: int
    pages: int | None = None
    cached: bool = False


@dataclass(frozen=True)
class BuildResult:
    outputs: tuple[Output, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class _Options:
    """Everything besides the sources that an output depends on."""

    pdf_variant: str
    paper: str | None
    print_marks: bool
    booklet: bool

    def key(self, fmt: str) -> dict[str, object]:
        options: dict[str, object] = {"format": fmt, "paper": self.paper}
        if fmt in ("pdf", "booklet", "layout", "epub"):
            options["print_marks"] = self.print_marks
        if fmt in ("pdf", "booklet"):
            options["pdf_variant"] = self.pdf_variant
        return options


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
    from mxpublish.source.sections import load_publication

    project = find_project(project_dir)
    return project, load_publication(project)


_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}

#: Text (in characters) above which an EPUB-only build does not lay out the print edition
#: just for its page list (about 1,200 printed pages of the briefing's design).
MAX_LAYOUT_FOR_PAGE_LIST = 3_000_000


def _text_size(publication: Publication) -> int:
    return sum(len(section.text) for section in publication.sections)


#: Bleed and crop/cross marks for a commercial print shop (``--print-marks``).
PRINT_MARKS_CSS = "\n@page { bleed: 0.25in; marks: crop cross; }\n"


def _paper_css(value: str) -> str:
    from mxpublish.source.metadata import paper_css

    try:
        return paper_css(value)
    except ValueError as exc:
        raise UsageError(error("PAPER", str(exc))) from exc


def _cover(project: Project, publication: Publication) -> tuple[str, str, bytes]:
    """(name inside EPUB/, media type, bytes) of the cover: the image publication.yaml names,
    or one drawn from the title metadata."""
    from mxpublish.assemble.documents import long_date
    from mxpublish.render.cover import cover_png

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
    jobs: int = 1,
    use_cache: bool = True,
) -> BuildResult:
    """Build the requested formats; return what was written and every warning.

    ``paper`` overrides publication.yaml's; ``print_marks`` adds bleed and crop marks;
    ``booklet`` also writes ``<slug>-booklet.pdf``, imposed for saddle-stitch printing. When
    all three formats are built, ``SHA256SUMS`` lists the outputs' checksums. ``progress`` is
    told when each stage starts and ends. ``jobs`` > 1 renders formats in parallel processes;
    ``use_cache`` False rebuilds outputs whose inputs did not change.
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
    if paper is not None:
        _paper_css(paper)
        paper = paper.strip().lower()
    options = _Options(pdf_variant, paper, print_marks, booklet)
    project = find_project(project_dir)
    target = Path(out_dir) if out_dir else project.build_dir
    products = [*wanted, *(["booklet"] if booklet else [])]
    fonts = [face.path for face in FACES]
    keys = {
        name: fingerprint(project.root, fonts, options.key(name), _UNUSED_STYLES[name])
        for name in [*products, "layout"]
    }
    cache = BuildCache(project.root, target)
    done: dict[str, list[Output]] = {}
    if use_cache:
        for name in products:
            fresh = cache.fresh(name, keys[name], target)
            if fresh is not None:
                done[name] = [Output(o.format, o.path, o.size, o.pages, True) for o in fresh]
    stale = [name for name in products if name not in done]

    stages = Stages(["load", *[f for f in wanted if f in stale]], progress)
    diagnostics: list[Diagnostic] = []
    if stale:
        stages.start("load")
        _, publication = load(project.root)
        check_writable(target)
        build_time(publication)  # a bad SOURCE_DATE_EPOCH stops the build before any render
        if paper is not None:
            meta = replace(publication.metadata, paper=paper)
            publication = replace(publication, metadata=meta)
        built, diagnostics = _render_stale(
            project, publication, stale, target, options, stages, cache, keys, jobs, use_cache
        )
        for name, outputs in built.items():
            done[name] = outputs
            cache.record(
                name, keys[name], [CachedOutput(o.format, o.path, o.size, o.pages) for o in outputs]
            )
        cache.save(atomic_write)

    results = [o for name in products for o in done[name]]
    if set(wanted) == set(FORMATS):
        results.append(_write_checksums(target, results))
    stages.finish()
    return BuildResult(tuple(results), tuple(diagnostics))


def _write_checksums(target: Path, outputs: list[Output]) -> Output:
    sums = "".join(
        f"{hashlib.sha256(o.path.read_bytes()).hexdigest()}  {o.path.name}\n"
        for o in sorted(outputs, key=lambda o: o.path.name)
    )
    path = target / "SHA256SUMS"
    if not path.is_file() or path.read_text(encoding="ascii") != sums:
        atomic_write(path, sums.encode("ascii"))
    return Output("checksums", path, len(sums))


def _render_stale(
    project: Project,
    publication: Publication,
    stale: list[str],
    target: Path,
    options: _Options,
    stages: Stages,
    cache: BuildCache,
    keys: dict[str, str],
    jobs: int,
    use_cache: bool = True,
) -> tuple[dict[str, list[Output]], list[Diagnostic]]:
    """Render the formats in ``stale``; the print layout once, and only if one needs it
    (a cached page map serves an EPUB-only build unless ``use_cache`` is off)."""
    slug = publication.metadata.slug
    modified = build_time(publication)
    built: dict[str, list[Output]] = {}
    diagnostics: list[Diagnostic] = []
    pool = None
    if jobs > 1 and len([s for s in stale if s in ("epub", "html")]) and (len(stale) > 1):
        import multiprocessing

        pool = ProcessPoolExecutor(
            max_workers=min(jobs - 1, 2), mp_context=multiprocessing.get_context("fork")
        )
    futures: dict[str, Future[bytes]] = {}
    try:
        if pool and "html" in stale:
            futures["html"] = pool.submit(_html_job, project, publication, modified)

        page_starts: tuple[PageStart, ...] | None = None
        needs_pdf = "pdf" in stale or "booklet" in stale
        if "epub" in stale and not needs_pdf:
            cached = cache.page_map(keys["layout"]) if use_cache else None
            if cached is not None:
                page_starts = tuple(PageStart(**start) for start in cached)
            elif _text_size(publication) > MAX_LAYOUT_FOR_PAGE_LIST:
                page_starts = ()
                diagnostics.append(
                    warning(
                        "EPUB-NO-PAGE-LIST",
                        "the EPUB has no print page list: laying out "
                        f"{_text_size(publication) // 1_000_000} MB of text for print only to "
                        "number its pages would take minutes and gigabytes",
                        hint="build the PDF in the same run (or before) to get the page list",
                    )
                )
        if needs_pdf or ("epub" in stale and page_starts is None):
            stages.start("pdf" if "pdf" in stale else "epub")
            result = _print_layout(project, publication, options, modified, write=needs_pdf)
            diagnostics.extend(result.diagnostics)
            page_starts = result.page_starts
            cache.save_page_map(keys["layout"], [asdict(s) for s in page_starts], atomic_write)
            if pool and "epub" in stale:
                futures["epub"] = pool.submit(
                    _epub_job, project, publication, page_starts, modified
                )
            if "pdf" in stale:
                path = target / f"{slug}.pdf"
                atomic_write(path, result.data)
                built["pdf"] = [Output("pdf", path, len(result.data), result.pages)]
            if "booklet" in stale:
                from mxpublish.render.impose import booklet_order, impose_booklet

                data = impose_booklet(result.data)
                path = target / f"{slug}-booklet.pdf"
                atomic_write(path, data)
                sheets = len(booklet_order(result.pages))
                built["booklet"] = [Output("booklet", path, len(data), sheets)]

        for name, suffix in (("epub", "epub"), ("html", "html")):
            if name not in stale:
                continue
            if stages.current != name:  # the EPUB's stage may have begun with the layout
                stages.start(name)
            if name in futures:
                data = futures[name].result()
            elif name == "epub":
                data = _epub_job(project, publication, page_starts or (), modified)
            else:
                data = _html_job(project, publication, modified)
            path = target / f"{slug}.{suffix}"
            atomic_write(path, data)
            built[name] = [Output(name, path, len(data))]
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
    return built, diagnostics


def _print_layout(
    project: Project,
    publication: Publication,
    options: _Options,
    modified: dt.datetime,
    *,
    write: bool,
) -> Any:
    from mxpublish.assemble.documents import document_html, environment, fonts_css, stylesheet
    from mxpublish.assemble.fonts import font_dirs
    from mxpublish.render.pdf import render_pdf

    css = (
        fonts_css(lambda face: face.path.resolve().as_uri())
        + stylesheet(project, "print")
        + f"\n@page {{ size: {_paper_css(publication.metadata.paper)}; }}\n"
        + (PRINT_MARKS_CSS if options.print_marks else "")
    )
    html = document_html(publication, environment(project), "print", toc_depth=1, modified=modified)
    return render_pdf(
        publication, html, css, roots=font_dirs(), variant=options.pdf_variant, write=write
    )


def _epub_job(
    project: Project,
    publication: Publication,
    page_starts: tuple[PageStart, ...],
    modified: dt.datetime,
) -> bytes:
    """The EPUB as bytes; runs in this process or a worker (it pickles and returns bytes)."""
    from mxpublish.assemble.documents import (
        environment,
        epub_asset_names,
        epub_documents,
        stylesheet,
    )
    from mxpublish.assemble.images import for_screen
    from mxpublish.render.epub import EpubResource, font_resources, render_epub
    from mxpublish.source.assets import read_asset

    env = environment(project)
    cover_name, cover_type, cover_data = _cover(project, publication)
    documents = epub_documents(publication, env, page_starts, cover_image=cover_name)
    text = "".join(d.content for d in documents)
    font_css, font_files = font_resources(text)
    css = font_css + stylesheet(project, "epub")
    resources = [
        EpubResource("styles/epub.css", "text/css", css.encode("utf-8")),
        EpubResource(cover_name, cover_type, cover_data, ("cover-image",)),
        *font_files,
    ]
    resources += [
        EpubResource(
            name, asset.media_type, for_screen(read_asset(project.root, asset), asset.media_type)
        )
        for asset, name in epub_asset_names(publication).items()
    ]
    return render_epub(publication, documents, resources, modified, has_page_list=bool(page_starts))


def _html_job(project: Project, publication: Publication, modified: dt.datetime) -> bytes:
    from mxpublish.assemble.documents import environment

    return html_edition(project, publication, environment(project), modified)


def html_edition(
    project: Project,
    publication: Publication,
    env: jinja2.Environment,
    modified: dt.datetime | None = None,
) -> bytes:
    """The single-file HTML edition as bytes, written by ``build`` and served by ``serve``."""
    from mxpublish.assemble.documents import document_html, stylesheet
    from mxpublish.assemble.images import for_screen
    from mxpublish.render.html import data_uri, inline_fonts_css, render_html
    from mxpublish.source.assets import read_asset

    draft = document_html(publication, env, "web", toc_depth=2, modified=modified)
    css = inline_fonts_css(draft) + stylesheet(project, "web")
    images = {
        a: data_uri(a.media_type, for_screen(read_asset(project.root, a), a.media_type))
        for a in publication.assets
    }
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
