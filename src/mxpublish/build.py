"""The pipeline: plan what is stale, then load → assemble → render it, each file written
atomically.

``plan`` hashes the project once and keeps every output whose inputs have not changed (see
cache.py); ``execute`` loads the publication once (or takes one already loaded), makes one
Jinja2 environment and renders the stale editions; with ``jobs`` > 1 the EPUB and HTML
editions are rendered in forked worker processes while this one lays out and writes the PDF.
Heavy modules are imported where they are used, so a no-op rebuild stays cheap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mxpublish.assemble.fonts import FACES
from mxpublish.cache import (
    BlobStore,
    BuildCache,
    CachedOutput,
    TreeDigests,
    digest_project,
    file_digest,
    fingerprint,
)
from mxpublish.editions import (
    DEFAULT_PDF_VARIANT,
    EDITIONS,
    EPUB,
    FORMATS,
    HTML,
    MEDIUM_STYLESHEETS,
    PDF,
)
from mxpublish.errors import Diagnostic, Severity, UsageError, error, warning
from mxpublish.model import PageStart, Publication
from mxpublish.progress import Progress, Stages
from mxpublish.project import Project, atomic_write, check_writable, find_project

if TYPE_CHECKING:
    from concurrent.futures import Future

    import jinja2

    from mxpublish.source.metadata import ConfigFile


#: Stylesheets each format does not read: a change to one of them leaves that format alone.
#: The EPUB reads the print styles too, since its page list comes from the print layout.
_UNUSED_STYLES = {
    **{e.format: MEDIUM_STYLESHEETS - e.reads for e in EDITIONS},
    "booklet": MEDIUM_STYLESHEETS - PDF.reads,
    "layout": MEDIUM_STYLESHEETS - PDF.reads,
}


@dataclass(frozen=True)
class Output:
    """A file a build wrote (or kept: ``cached``); ``sha256`` is of its bytes."""

    format: str
    path: Path
    size: int
    pages: int | None = None
    cached: bool = False
    sha256: str = ""


@dataclass(frozen=True)
class BuildResult:
    outputs: tuple[Output, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class BuildOptions:
    """Everything besides the sources that a build's outputs depend on, resolved once (the
    CLI gets it from authoring/settings.py: command line > environment > publication.yaml >
    defaults) and handed to build, watch and serve alike.

    ``paper`` overrides publication.yaml's; ``print_marks`` adds bleed and crop marks;
    ``booklet`` also writes ``<slug>-booklet.pdf``; ``jobs`` > 1 renders formats in parallel
    processes; ``use_cache`` False rebuilds outputs whose inputs did not change.
    """

    formats: tuple[str, ...] = FORMATS
    pdf_variant: str = DEFAULT_PDF_VARIANT
    paper: str | None = None
    print_marks: bool = False
    booklet: bool = False
    jobs: int = 1
    use_cache: bool = True

    def checked(self) -> BuildOptions:
        """These options with formats in build order and the paper normalised; raises
        UsageError for an unknown format or a malformed paper size."""
        unknown = set(self.formats) - set(FORMATS)
        if unknown:
            raise UsageError(
                error(
                    "FORMAT-UNKNOWN",
                    f"unknown format {sorted(unknown)[0]!r}",
                    hint="choose from " + ", ".join(FORMATS),
                )
            )
        paper = self.paper
        if paper is not None:
            from mxpublish.source.metadata import paper_css

            try:
                paper_css(paper)
            except ValueError as exc:
                raise UsageError(error("PAPER", str(exc))) from exc
            paper = paper.strip().lower()
        formats = tuple(f for f in FORMATS if f in set(self.formats))
        return replace(self, formats=formats, paper=paper)

    @property
    def products(self) -> tuple[str, ...]:
        """What the build writes: the formats, and the booklet when asked for."""
        return (*self.formats, *(("booklet",) if self.booklet else ()))

    def key(self, product: str) -> dict[str, object]:
        """The options one product depends on (``layout``: the print page map)."""
        options: dict[str, object] = {"format": product, "paper": self.paper}
        if product in ("pdf", "booklet", "layout", "epub"):
            options["print_marks"] = self.print_marks
        if product in ("pdf", "booklet"):
            options["pdf_variant"] = self.pdf_variant
        return options


@dataclass(frozen=True)
class Plan:
    """What a build will do: each product's input fingerprint, and the outputs still fresh."""

    project: Project
    target: Path
    options: BuildOptions
    keys: Mapping[str, str]
    fresh: Mapping[str, tuple[Output, ...]]
    templates: TreeDigests | None = None  # the project's templates/, as hashed for the keys

    @property
    def stale(self) -> tuple[str, ...]:
        return tuple(p for p in self.options.products if p not in self.fresh)


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


def load(project_dir: Path | str, config: ConfigFile | None = None) -> tuple[Project, Publication]:
    """The project and its publication, loaded once (``config``: publication.yaml already read)."""
    from mxpublish.source.sections import load_publication

    project = find_project(project_dir)
    return project, load_publication(project, config=config)


#: Text (in characters) above which an EPUB-only build does not lay out the print edition
#: just for its page list (about 1,200 printed pages of the briefing's design).
MAX_LAYOUT_FOR_PAGE_LIST = 3_000_000


def _text_size(publication: Publication) -> int:
    return sum(len(section.text) for section in publication.sections)


def build(
    project_dir: Path | str,
    formats: Iterable[str] = FORMATS,
    out_dir: Path | str | None = None,
    *,
    progress: Progress | None = None,
    publication: Publication | None = None,
    config: ConfigFile | None = None,
    options: BuildOptions | None = None,
    **fields: Any,
) -> BuildResult:
    """Build the requested formats; return what was written and every warning.

    ``options`` (or BuildOptions' fields by name, for scripts and tests) say how;
    ``publication`` reuses one already loaded (``--release`` checked it), ``config`` a
    publication.yaml already read. When all three formats are built, ``SHA256SUMS`` lists
    the outputs' checksums. ``progress`` is told when each stage starts and ends.
    Raises an MxError subclass on bad input or a failed render; an output is replaced only
    when its new version is complete, so a failed build leaves the previous files intact.
    """
    resolved = replace(options or BuildOptions(), formats=tuple(formats), **fields).checked()
    project = find_project(project_dir)
    target = Path(out_dir) if out_dir else project.build_dir
    return execute(plan(project, target, resolved), progress, publication, config)


def plan(project: Project, target: Path, options: BuildOptions) -> Plan:
    """Hash the project once, fingerprint each product and find the outputs still fresh."""
    tree = digest_project(project.root)
    fonts = [face.path for face in FACES]
    keys = {
        name: fingerprint(tree, fonts, options.key(name), _UNUSED_STYLES[name])
        for name in [*options.products, "layout"]
    }
    fresh: dict[str, tuple[Output, ...]] = {}
    if options.use_cache:
        cache = BuildCache(project.root, target)
        for name in options.products:
            found = cache.fresh(name, keys[name], target)
            if found is not None:
                fresh[name] = tuple(
                    Output(o.format, o.path, o.size, o.pages, True, o.sha256) for o in found
                )
    return Plan(project, target, options, keys, fresh, tree["templates"])


def execute(
    plan: Plan,
    progress: Progress | None = None,
    publication: Publication | None = None,
    config: ConfigFile | None = None,
) -> BuildResult:
    """Load (unless ``publication`` is given) and render what ``plan`` found stale."""
    options, target = plan.options, plan.target
    stale = plan.stale
    stages = Stages(["load", *[f for f in options.formats if f in stale]], progress)
    diagnostics: list[Diagnostic] = []
    done: dict[str, tuple[Output, ...]] = dict(plan.fresh)
    if stale:
        stages.start("load")
        if publication is None:
            _, publication = load(plan.project.root, config)
        check_writable(target)
        build_time(publication)  # a bad SOURCE_DATE_EPOCH stops the build before any render
        publication = with_paper(publication, options.paper)
        cache = BuildCache(plan.project.root, target)
        built, diagnostics = _render_stale(plan, publication, stages, cache)
        # Loading's warnings (broken links) first; its infos (comments) are `check`'s to list.
        loaded = [d for d in publication.diagnostics if d.severity is not Severity.INFO]
        diagnostics = [*loaded, *diagnostics]
        for name, outputs in built.items():
            done[name] = outputs
            cache.record(
                name,
                plan.keys[name],
                [CachedOutput(o.format, o.path, o.size, o.pages, o.sha256) for o in outputs],
            )
        cache.save(atomic_write)
    results = [o for name in options.products for o in done[name]]
    if set(options.formats) == set(FORMATS):
        results.append(_write_checksums(target, results))
    stages.finish()
    return BuildResult(tuple(results), tuple(diagnostics))


def with_paper(publication: Publication, paper: str | None) -> Publication:
    """``publication`` with the paper size a build option overrides."""
    if paper is None:
        return publication
    return replace(publication, metadata=replace(publication.metadata, paper=paper))


def _write_checksums(target: Path, outputs: list[Output]) -> Output:
    sums = "".join(
        f"{o.sha256 or file_digest(o.path)}  {o.path.name}\n"
        for o in sorted(outputs, key=lambda o: o.path.name)
    )
    path = target / "SHA256SUMS"
    if not path.is_file() or path.read_text(encoding="ascii") != sums:
        atomic_write(path, sums.encode("ascii"))
    return Output("checksums", path, len(sums))


def _write(target: Path, product: str, name: str, data: bytes, pages: int | None = None) -> Output:
    """Write one output atomically; its digest is taken from the bytes in memory."""
    path = target / name
    atomic_write(path, data)
    return Output(product, path, len(data), pages, sha256=hashlib.sha256(data).hexdigest())


#: The last Jinja2 environment made, by project and templates: watch and serve rebuild
#: with it, its templates compiled once, until a template changes.
_ENVIRONMENT: dict[tuple[Path, TreeDigests], jinja2.Environment] = {}


def environment_for(project: Project, templates: TreeDigests | None = None) -> jinja2.Environment:
    """The Jinja2 environment of ``project`` (documents.environment), the one made for an
    earlier build of this process when ``templates`` (its templates/ hashed) is the same."""
    from mxpublish.assemble.documents import check_templates, environment

    if templates is None:
        return environment(project)
    key = (project.root, templates)
    if key not in _ENVIRONMENT:
        env = environment(project)
        _ENVIRONMENT.clear()
        _ENVIRONMENT[key] = env
    else:
        check_templates(project)  # links out of the project are refused every time
    return _ENVIRONMENT[key]


#: What forked workers render from: set before the pool forks, so the publication and the
#: Jinja2 environment are shared with them rather than pickled or made again.
_SHARED: dict[str, Any] = {}
_SHARED_KEYS = ("project", "publication", "env", "modified")


def _render_stale(
    plan: Plan, publication: Publication, stages: Stages, cache: BuildCache
) -> tuple[dict[str, tuple[Output, ...]], list[Diagnostic]]:
    """Render the products ``plan`` found stale with one Jinja2 environment; the print
    layout once, and only if one needs it (a cached page map serves an EPUB-only build
    unless the cache is off)."""
    stale, options, target = plan.stale, plan.options, plan.target
    slug = publication.metadata.slug
    modified = build_time(publication)
    env = environment_for(plan.project, plan.templates)
    _SHARED.update(project=plan.project, publication=publication, env=env, modified=modified)
    # The drawn cover and font subsets: of earlier builds too, unless the cache is off.
    _SHARED["store"] = BlobStore(plan.project.root if options.use_cache else None, atomic_write)
    built: dict[str, tuple[Output, ...]] = {}
    diagnostics: list[Diagnostic] = []
    pool = None
    if options.jobs > 1 and {"epub", "html"} & set(stale) and len(stale) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        workers = min(options.jobs - 1, 2)
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    futures: dict[str, Future[bytes]] = {}
    try:
        if pool and "html" in stale:
            futures["html"] = pool.submit(_html_job)
        page_starts = _cached_page_starts(plan, publication, cache, diagnostics)
        needs_pdf = "pdf" in stale or "booklet" in stale
        if needs_pdf or ("epub" in stale and page_starts is None):
            stages.start("pdf" if "pdf" in stale else "epub")
            result = _print_job(options, cache, write=needs_pdf)
            diagnostics.extend(result.diagnostics)
            page_starts = result.page_starts
            cache.save_page_map(plan.keys["layout"], [asdict(s) for s in page_starts], atomic_write)
            if pool and "epub" in stale:
                futures["epub"] = pool.submit(_epub_job, page_starts)
            built.update(_print_outputs(stale, target, slug, result))
        for edition in (EPUB, HTML):
            name = edition.format
            if name not in stale:
                continue
            if stages.current != name:  # the EPUB's stage may have begun with the layout
                stages.start(name)
            if name in futures:
                data = futures[name].result()
            else:
                data = _epub_job(page_starts or ()) if edition is EPUB else _html_job()
            built[name] = (_write(target, name, f"{slug}{edition.suffix}", data),)
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
        _SHARED.clear()
    return built, diagnostics


def _cached_page_starts(
    plan: Plan, publication: Publication, cache: BuildCache, diagnostics: list[Diagnostic]
) -> tuple[PageStart, ...] | None:
    """For an EPUB built without the PDF: the page map of an earlier layout of the same
    inputs, ``()`` when the text is too large to lay out only for it, else None."""
    stale = plan.stale
    if "epub" not in stale or "pdf" in stale or "booklet" in stale:
        return None
    cached = cache.page_map(plan.keys["layout"]) if plan.options.use_cache else None
    if cached is not None:
        return tuple(PageStart(**start) for start in cached)
    if _text_size(publication) > MAX_LAYOUT_FOR_PAGE_LIST:
        diagnostics.append(
            warning(
                "EPUB-NO-PAGE-LIST",
                "the EPUB has no print page list: laying out "
                f"{_text_size(publication) // 1_000_000} MB of text for print only to "
                "number its pages would take minutes and gigabytes",
                hint="build the PDF in the same run (or before) to get the page list",
            )
        )
        return ()
    return None


def _print_outputs(
    stale: tuple[str, ...], target: Path, slug: str, result: Any
) -> dict[str, tuple[Output, ...]]:
    """The PDF and the booklet imposed from it, those of them that are stale."""
    built: dict[str, tuple[Output, ...]] = {}
    if "pdf" in stale:
        built["pdf"] = (_write(target, "pdf", f"{slug}{PDF.suffix}", result.data, result.pages),)
    if "booklet" in stale:
        from mxpublish.render.impose import booklet_order, impose_booklet

        sheets = len(booklet_order(result.pages))
        data = impose_booklet(result.data)
        built["booklet"] = (_write(target, "booklet", f"{slug}-booklet.pdf", data, sheets),)
    return built


def _print_job(options: BuildOptions, cache: BuildCache, *, write: bool) -> Any:
    from mxpublish.render.pdf import PartOptions, print_edition

    parts = PartOptions(cache.dir / "parts" if options.use_cache else None, options.jobs)
    return print_edition(
        *(_SHARED[k] for k in _SHARED_KEYS),
        variant=options.pdf_variant,
        print_marks=options.print_marks,
        write=write,
        parts=parts,
    )


def _epub_job(page_starts: tuple[PageStart, ...]) -> bytes:
    """The EPUB as bytes; runs in this process or a forked worker (it returns bytes)."""
    from mxpublish.render.epub import epub_edition

    project, publication, env, modified = (_SHARED[k] for k in _SHARED_KEYS)
    return epub_edition(project, publication, env, page_starts, modified, _SHARED.get("store"))


def _html_job() -> bytes:
    """The HTML edition as bytes; runs in this process or a forked worker."""
    from mxpublish.render.html import html_edition

    return html_edition(*(_SHARED[k] for k in _SHARED_KEYS))
