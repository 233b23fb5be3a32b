"""A long print edition laid out in parts: groups of whole chapters, each laid out by
WeasyPrint on its own, the PDFs joined with their structure trees.

WeasyPrint keeps every page's boxes until the PDF is written, so one layout of a 600-page book
needs gigabytes; a part needs what its own pages need. A part whose inputs did not change is
taken from the cache, so an edit re-lays out its own part (and the parts whose page numbers it
moved), and parts run in parallel on more cores.

What one layout computes across the whole document is given to each part as data: page
numbers continue (``@page :first { counter-reset: page N }``), ``counter(pages)`` becomes the
total, every internal link carries the page of its target in ``data-mx-page`` (which
``target-counter(attr(href url), page)`` is rewritten to read), the running strings the title
page sets are set again where a later part begins, and a link to another part gets an empty
*stub* target so WeasyPrint writes the link (the join points it at the real one). Those numbers
come from laying the parts out (or from the previous build) and are repeated until they no
longer change, so the result has the page numbers a single layout gives.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote

from mxpublish import __version__
from mxpublish.errors import Diagnostic, warning
from mxpublish.model import PageStart, Publication
from mxpublish.project import atomic_write
from mxpublish.render.part_cache import PartCache
from mxpublish.render.pdf import PartOptions, PdfResult, _document_id, layout_html

#: Characters of print HTML per part: about 40 pages of a code-heavy book (~150 MB of
#: layout), more of prose.
PART_CHARS = 150_000
#: Shorter documents are laid out in one piece: a few parts' start-up would cost more than
#: their memory saves.
SPLIT_CHARS = 600_000
#: Rounds of layout before the page numbers must have settled.
MAX_ROUNDS = 4

_TARGET_PAGE = re.compile(r"target-counter\(\s*attr\(\s*href(?:\s+url)?\s*\)\s*,\s*page\s*\)")
_PAGES = re.compile(r"(?<![-\w])counter\(\s*pages\s*\)")
#: What only one layout of the whole document can get right (other counters' targets, page
#: parity); a stylesheet using any of it is laid out in one piece.
_WHOLE_ONLY = re.compile(
    r"target-counters?\(|target-text\(|counters?\(\s*pages\s*,|@page\s*:(?:left|right|recto|"
    r"verso|nth)|break-(?:before|after)\s*:\s*(?:left|right|recto|verso)|"
    r"page-break-(?:before|after)\s*:\s*(?:left|right)",
    re.IGNORECASE,
)
_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'\shref="#([^"]*)"')
_LINK_START = re.compile(r'<a\b(?=[^>]*?\shref="#([^"]*)")')


@dataclass(frozen=True)
class Part:
    """One part's HTML before numbers are put in, the ids it holds and the ids it links to."""

    html: str
    ids: frozenset[str]
    links: frozenset[str]


@dataclass(frozen=True)
class Numbers:
    """What a part needs from the others: the pages before each part, the total, and the
    page of every id (the first part that holds an id owns it)."""

    offsets: tuple[int, ...]
    total: int
    anchors: tuple[tuple[str, int], ...]

    def page_of(self) -> dict[str, int]:
        return dict(self.anchors)


def _key(value: str) -> str:
    """An id as WeasyPrint names it: entities and percent-escapes decoded."""
    return unquote(html_lib.unescape(value))


def split_html(html: str, section_ids: Sequence[str], part_chars: int) -> list[Part] | None:
    """The print HTML cut before chapters into parts of about ``part_chars`` characters, or
    None when the document is not shaped as the theme's (a template that moved the chapters
    out of ``<main>``, or put content after it)."""
    body = re.search(r"<body\b[^>]*>", html)
    main = re.search(r"<main\b[^>]*>", html)
    close = html.rfind("</main>")
    if not (body and main and section_ids) or close < main.end():
        return None
    if not re.fullmatch(r"\s*</body>\s*</html>\s*", html[close + len("</main>") :]):
        return None
    starts, position = [], main.end()
    for section_id in section_ids:
        found = html.find(f'<section class="chapter" id="{html_lib.escape(section_id)}"', position)
        if found < 0:
            return None
        starts.append(found)
        position = found + 1
    if html[main.end() : starts[0]].strip():
        return None
    groups: list[list[int]] = []
    for index, start in enumerate(starts):
        group = (start - starts[0]) // part_chars
        if not groups or group > groups[-1][0]:
            groups.append([group, index])
    bounds = [starts[first] for _, first in groups] + [close]
    head = html[: body.end()] + html[main.start() : main.end()]
    parts = []
    for number in range(len(groups)):
        chapters = html[bounds[number] : bounds[number + 1]]
        opening = html[: starts[0]] if number == 0 else head
        text = opening + chapters + html[close:]
        ids = frozenset(_key(m) for m in _ID.findall(text))
        links = frozenset(_key(m) for m in _HREF.findall(text))
        parts.append(Part(text, ids, links))
    return parts


_PROBE = (
    '<section class="chapter" id="mx-probe-a"><h1 class="section-title">A</h1><p>A</p>'
    '</section>\n<section class="chapter" id="mx-probe-b"><h1 class="section-title">B</h1>'
    "<p>B</p></section>\n"
)


def chapters_start_pages(part: Part, css: str, root: Path, roots: Sequence[Path]) -> bool:
    """Whether the stylesheet starts every chapter on a new page (a book's; a briefing's
    sections run on). Only then is a part's first page the page a single layout gives: cut
    anywhere else, a part would start with a page break the whole document does not have.
    Two empty chapters laid out in the page's head and styles show it."""
    main = re.search(r"<main\b[^>]*>", part.html)
    close = part.html.rfind("</main>")
    assert main is not None
    probe = part.html[: main.end()] + _PROBE + part.html[close:]
    result = layout_html(
        probe,
        part_css(css, 0, Numbers((0,), 1, ()), {}),
        root=root,
        roots=roots,
        identifier="probe",
        variant="none",
        write=False,
    )
    return dict(result.anchors).get("mx-probe-b", 1) > dict(result.anchors).get("mx-probe-a", 1)


def whole_only(css: str) -> bool:
    """Whether ``css`` uses something a part cannot know without the whole layout (the
    page of a link's target and the page total are given to parts)."""
    return bool(_WHOLE_ONLY.search(_PAGES.sub("", _TARGET_PAGE.sub("", css))))


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
    return f'"{escaped}"'


def running_strings(publication: Publication) -> dict[str, str]:
    """The named strings the theme's title page sets, which a later part must start with."""
    meta = publication.metadata
    strings = {"doc-title": meta.running_title}
    if meta.marking:
        strings["marking"] = meta.marking
    return strings


def part_css(css: str, number: int, numbers: Numbers, strings: Mapping[str, str]) -> str:
    """The stylesheet of part ``number``: page numbers from the whole, strings carried in."""
    css = _TARGET_PAGE.sub("attr(data-mx-page)", css)
    css = _PAGES.sub(f'"{numbers.total}"', css)
    if number:
        sets = ", ".join(f"{name} {_css_string(value)}" for name, value in strings.items())
        # the lead page (see LEAD_PAGE) takes the number before the part's first
        css += f"\n@page :first {{ counter-reset: page {numbers.offsets[number]}; }}\n"
        css += f"main {{ string-set: {sets}; }}\n" if sets else ""
    return css


def owners(parts: Sequence[Part]) -> dict[str, int]:
    """Each id → the first part that holds it (later copies, e.g. ``<main id>``, are stubs)."""
    owner: dict[str, int] = {}
    for number, part in enumerate(parts):
        for name in part.ids:
            owner.setdefault(name, number)
    return owner


def stubs(parts: Sequence[Part]) -> list[frozenset[str]]:
    """Per part, the destination names it holds that another part owns."""
    owner = owners(parts)
    return [
        frozenset(name for name in part.ids | part.links if owner.get(name, number) != number)
        for number, part in enumerate(parts)
    ]


#: What a later part starts with: an empty page, dropped when the parts are joined. WeasyPrint
#: sets a page's footnotes differently on a document's first page (one line less above
#: them), so a part's first page of text must not be its first page.
LEAD_PAGE = '<div class="mx-part-lead" style="break-after: page"></div>'


def part_html(part: Part, numbers: Numbers | None, *, lead: bool = False) -> str:
    """``part`` with each internal link's target page, and an empty target at its end for
    every id it links to in another part (so WeasyPrint writes the link; the join redirects
    it)."""
    pages = numbers.page_of() if numbers else {}

    def mark(match: re.Match[str]) -> str:
        return f'<a data-mx-page="{pages.get(_key(match.group(1)), 0)}"'

    text = _LINK_START.sub(mark, part.html)
    if lead:
        main = re.search(r"<main\b[^>]*>", text)
        assert main is not None  # split_html found it
        text = text[: main.end()] + LEAD_PAGE + text[main.end() :]
    missing = sorted(part.links - part.ids)
    if missing:
        spans = "".join(
            f'<span id="{html_lib.escape(name)}" style="position: absolute"></span>'
            for name in missing
        )
        close = text.rfind("</main>")  # at the end: a box before a chapter's heading would
        text = text[:close] + spans + text[close:]  # change which string a page starts with
    return text


def derive(results: Sequence[PdfResult], parts: Sequence[Part]) -> Numbers:
    """The numbers the parts' layouts give."""
    offsets, total = [], 0
    for result in results:
        offsets.append(total)
        total += result.pages
    owner = owners(parts)
    anchors = {
        name: offsets[number] + page
        for number, result in enumerate(results)
        for name, page in result.anchors
        if owner.get(name) == number
    }
    return Numbers(tuple(offsets), total, tuple(sorted(anchors.items())))


@dataclass(frozen=True)
class Job:
    """One part to lay out: what ``layout_html`` needs, as plain picklable values."""

    html: str
    css: str
    root: Path
    roots: tuple[Path, ...]
    identifier: str
    variant: str
    write: bool
    lead: bool

    def key(self) -> str:
        digest = hashlib.sha256(f"{__version__}\0{self.variant}\0".encode())
        digest.update(self.css.encode() + b"\0" + self.html.encode())
        return digest.hexdigest()


def run_job(job: Job) -> PdfResult:
    """Lay one part out; a later part's figures leave its lead page out (the join drops it)."""
    result = layout_html(
        job.html,
        job.css,
        root=job.root,
        roots=job.roots,
        identifier=job.identifier,
        variant=job.variant,
        write=job.write,
    )
    if not job.lead:
        return result
    return replace(
        result,
        pages=result.pages - 1,
        page_starts=tuple(
            replace(start, page=start.page - 1) for start in result.page_starts if start.page > 1
        ),
        anchors=tuple((name, page - 1) for name, page in result.anchors if page > 1),
    )


def _run_all(jobs: Sequence[Job], workers: int) -> list[PdfResult]:
    """Lay the jobs out, in forked worker processes when ``workers`` > 1 (each holds one
    part's layout at a time)."""
    if workers <= 1 or len(jobs) <= 1:
        return [run_job(job) for job in jobs]
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
        return list(pool.map(run_job, jobs))


def render_parts(
    publication: Publication,
    parts: Sequence[Part],
    css: str,
    *,
    roots: Sequence[Path],
    variant: str,
    write: bool,
    cache: PartCache | None = None,
    workers: int = 1,
    identifier: str,
) -> PdfResult:
    """Lay out ``parts`` until their page numbers agree, then join them into one PDF."""
    from mxpublish.render.join import join_pdfs

    strings = running_strings(publication)
    numbers = cache.numbers(len(parts)) if cache else None
    exact = numbers is not None
    results: list[PdfResult] = []
    diagnostics: list[Diagnostic] = []
    for _ in range(MAX_ROUNDS):
        guess = numbers or Numbers(tuple(0 for _ in parts), 0, ())
        jobs = [
            Job(
                part_html(part, numbers, lead=number > 0),
                part_css(css, number, guess, strings),
                publication.root,
                tuple(roots),
                publication.metadata.identifier,
                variant,
                write and exact,
                number > 0,
            )
            for number, part in enumerate(parts)
        ]
        cached = [cache.get(job.key(), need_pdf=job.write) if cache else None for job in jobs]
        todo = [job for job, hit in zip(jobs, cached, strict=True) if hit is None]
        fresh = iter(_run_all(todo, workers))
        results = [hit if hit is not None else next(fresh) for hit in cached]
        if cache:
            for job, hit, result in zip(jobs, cached, results, strict=True):
                if hit is None:
                    cache.put(job.key(), result)
        settled = derive(results, parts)
        if exact and settled == numbers:
            break
        numbers, exact = settled, True
    else:
        diagnostics.append(
            warning(
                "PAGE-NUMBERS-UNSETTLED",
                f"page numbers still moved after {MAX_ROUNDS} layouts of the book's parts: "
                "a contents or cross-reference page number may be off by one",
            )
        )
    assert numbers is not None
    if cache:
        cache.finish(numbers, [job.key() for job in jobs])
    data = b""
    if write:
        data = join_pdfs(
            [result.data for result in results],
            identifier=identifier.encode(),
            stubs=stubs(parts),
            drop_first=[number > 0 for number in range(len(parts))],
        )
    return PdfResult(
        data,
        numbers.total,
        tuple(_shifted(results, numbers)),
        tuple(dict.fromkeys([*(d for r in results for d in r.diagnostics), *diagnostics])),
        numbers.anchors,
    )


def _shifted(results: Iterable[PdfResult], numbers: Numbers) -> Iterable[PageStart]:
    for result, offset in zip(results, numbers.offsets, strict=True):
        for start in result.page_starts:
            yield PageStart(
                start.page + offset, start.region, start.section_id, start.block, start.offset
            )


def print_in_parts(
    publication: Publication,
    html: str,
    css: str,
    *,
    roots: Sequence[Path],
    variant: str,
    write: bool,
    options: PartOptions,
) -> PdfResult | None:
    """The print edition laid out in parts, or None when it is better (or only possible)
    laid out in one piece: a short document, one chapter, or a stylesheet that needs the
    whole layout."""
    split_chars = SPLIT_CHARS if options.split_chars is None else options.split_chars
    if len(html) < split_chars or whole_only(css):
        return None
    ids = [section.id for section in publication.sections]
    parts = split_html(html, ids, options.part_chars or PART_CHARS)
    if parts is None or len(parts) < 2:
        return None
    cache = PartCache(options.cache, atomic_write) if options.cache else None
    probe = (
        cache.probe(
            parts[1], css, lambda: chapters_start_pages(parts[1], css, publication.root, roots)
        )
        if cache
        else chapters_start_pages(parts[1], css, publication.root, roots)
    )
    if not probe:
        return None
    identifier = _document_id(
        publication.metadata.identifier, html + css, [publication.root, *roots]
    )
    return render_parts(
        publication,
        parts,
        css,
        roots=roots,
        variant=variant,
        write=write,
        cache=cache,
        workers=options.workers,
        identifier=identifier,
    )
