"""The model → HTML: one Jinja2 environment renders the print document, the EPUB's XHTML
files and the single-file web edition. Section bodies are inserted as data, never templates."""

from __future__ import annotations

import datetime as dt
import os
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from markupsafe import Markup

from mxpublish import __version__
from mxpublish.assemble.fonts import FontFace, font_face_css
from mxpublish.assemble.styles import inline_resources
from mxpublish.editions import MEDIA
from mxpublish.errors import SandboxError, SourceError, error
from mxpublish.model import Asset, PageStart, Publication, Section
from mxpublish.project import Project
from mxpublish.source.metadata import slugify
from mxpublish.source.schema import decode_text

if TYPE_CHECKING:  # Jinja2 and lxml are imported where used: `check` needs neither
    import jinja2

THEME = resources.files("mxpublish").joinpath("theme")
_HREF_RE = re.compile(r'href="#([^"]+)"')
_IMG_SRC_RE = re.compile(r'(<img src=")([^"]*)(")')


@dataclass(frozen=True)
class XhtmlDocument:
    """One EPUB content document: its path inside the package and its serialized XHTML."""

    name: str
    title: str
    content: str
    section_id: str | None = None


def environment(project: Project) -> jinja2.Environment:
    """Project ``templates/`` first, then the theme; ``!theme/x`` reaches the original of an
    overridden template so a project file can extend it. Autoescape and undefined-is-error.

    Raises SandboxError if a file under ``templates/`` links to a file outside the project."""
    import jinja2

    check_templates(project)
    theme_loader = jinja2.FileSystemLoader(str(THEME.joinpath("templates")))
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(str(project.templates_dir)),
            jinja2.PrefixLoader({"!theme": theme_loader}, delimiter="/"),
            theme_loader,
        ]
    )
    # One environment serves one build (watch and serve make a new one per rebuild), so a
    # template never changes under it: no stat of the template file at every section's include.
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["longdate"] = long_date
    env.filters["safe_fragment"] = Markup  # our own Markdown renderer's escaped output
    env.globals["version"] = __version__
    env.extend(mx_project_root=str(project.root))  # for messages only; not seen by templates
    return env


def check_templates(project: Project) -> None:
    """What ``environment`` refuses, without making one (``check``): raises SandboxError if
    a file under ``templates/`` links to a file outside the project."""
    _refuse_links_out(project, project.templates_dir)


def long_date(value: dt.date, language: str) -> str:
    if language.lower().startswith("en"):
        return f"{value:%B} {value.day}, {value.year}"
    return value.isoformat()


def stylesheet(project: Project, medium: str) -> str:
    """The CSS of one edition: ``base.css``, then ``<medium>.css``, then the project's
    ``custom.css``; a project file of the same name replaces the theme's."""
    if medium not in MEDIA:
        raise ValueError(f"unknown medium {medium!r}")
    parts = []
    for name in ("base.css", "code.css", "apparatus.css", f"{medium}.css", "custom.css"):
        own = project.styles_dir / name
        _refuse_links_out(project, own)
        if own.is_file():
            parts.append(inline_resources(_read_style(own, project), own, project))
        elif name != "custom.css":
            parts.append(THEME.joinpath("styles", name).read_text(encoding="utf-8"))
    return "\n".join(parts)


def _read_style(path: Path, project: Project) -> str:
    file = project.relative(path)
    try:
        return decode_text(path.read_bytes(), file)
    except OSError as exc:
        raise SourceError(error("SOURCE-UNREADABLE", f"cannot read: {exc.strerror}", file)) from exc


def _refuse_links_out(project: Project, path: Path) -> None:
    """``path`` and, for a directory, everything under it must resolve inside the project."""
    found = sorted([path, *path.rglob("*")] if path.is_dir() else [path])
    problems = [problem for p in found if (problem := project.link_out(p))]
    if problems:
        raise SandboxError(problems)


def fonts_css(url_for: Callable[[FontFace], str]) -> str:
    return font_face_css(url_for)


def _render(env: jinja2.Environment, name: str, **context: object) -> str:
    import jinja2

    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        file = getattr(exc, "filename", None)
        line = getattr(exc, "lineno", None)
        if file is None:  # a runtime error: Jinja2 puts the template's frames in the traceback
            frames = [
                (frame.f_code.co_filename, number)
                for frame, number in traceback.walk_tb(exc.__traceback__)
                if frame.f_code.co_filename.endswith(".j2")
            ]
            file, line = frames[-1] if frames else (name, None)
        root = str(getattr(env, "mx_project_root", ""))
        if root and file.startswith(root + os.sep):
            file = file[len(root) + 1 :]
        raise SourceError(error("TEMPLATE", f"template error: {exc}", file, line)) from exc


def _context(publication: Publication) -> dict[str, object]:
    return {
        "meta": publication.metadata,
        "sections": publication.sections,
        "incomplete": [s for s in publication.sections if s.incomplete],
    }


def with_image_sources(
    html: str, url_for: Callable[[Asset], str], assets: tuple[Asset, ...]
) -> str:
    """``html`` with each asset's ``<img src>`` (its project path) made ``url_for(asset)``."""
    urls = {quote(asset.path): url_for(asset) for asset in assets}

    def swap(match: re.Match[str]) -> str:
        url = urls.get(match.group(2))
        return match.group(0) if url is None else match.group(1) + url + match.group(3)

    return _IMG_SRC_RE.sub(swap, html) if urls else html


def epub_asset_names(publication: Publication) -> dict[Asset, str]:
    """Where each asset lives in the EPUB package: a numbered, space-free name under
    ``images/`` (project paths may hold characters that OCF file names should not)."""
    names = {}
    for number, asset in enumerate(publication.assets, 1):
        path = Path(asset.path)
        names[asset] = f"images/{number:03d}-{slugify(path.stem)}{path.suffix.lower()}"
    return names


def document_html(
    publication: Publication,
    env: jinja2.Environment,
    medium: str,
    css: str = "",
    toc_depth: int = 1,
    modified: dt.datetime | None = None,
    image_url: Callable[[Asset], str] | None = None,
) -> str:
    """The whole publication as one HTML document (``medium`` is ``print`` or ``web``);
    for the web edition ``css`` is inlined so the file stands alone. ``modified`` (UTC) is
    the document's modification time (default: the publication date). Images keep their
    project-relative paths (print resolves them from the project root) unless ``image_url``
    says otherwise."""
    date = publication.metadata.date
    modified = modified or dt.datetime(date.year, date.month, date.day)
    html = _render(
        env,
        "publication.html.j2",
        medium=medium,
        css=Markup(css),
        toc_depth=toc_depth,
        modified=modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
        local_href=lambda anchor: f"#{anchor}",
        **_context(publication),
    )
    return with_image_sources(html, image_url, publication.assets) if image_url else html


def epub_file_name(section: Section) -> str:
    return f"text/{section.number:02d}-{section.id}.xhtml"


TITLEPAGE_FILE = "text/titlepage.xhtml"
NAV_FILE = "nav.xhtml"


COVER_FILE = "text/cover.xhtml"


def epub_documents(
    publication: Publication,
    env: jinja2.Environment,
    page_starts: Sequence[PageStart] = (),
    cover_image: str | None = None,
) -> tuple[XhtmlDocument, ...]:
    """Title page, navigation document and one XHTML per section, links resolved across files.

    With ``page_starts`` (from the print layout) every printed page gets a page-break marker
    where it begins and the navigation document a page list, so page N means the same passage
    in the PDF and the EPUB. ``cover_image`` (a path inside ``EPUB/``) adds a cover page.
    """
    files = {s.id: epub_file_name(s) for s in publication.sections}
    owner = {anchor: s.id for s in publication.sections for anchor in s.anchors}

    def href_from(base_dir: str) -> Callable[[str], str]:
        def href(anchor: str) -> str:
            target = files[owner[anchor]]
            rel = target.removeprefix(base_dir + "/") if base_dir else target
            return rel if anchor == owner[anchor] else f"{rel}#{anchor}"

        return href

    from mxpublish.assemble.pagebreaks import add_page_breaks, page_list

    context = _context(publication)
    pages = page_list(page_starts, files, TITLEPAGE_FILE, NAV_FILE)
    docs = []
    if cover_image:
        docs.append(
            XhtmlDocument(
                COVER_FILE,
                "Cover",
                _render(env, "epub/cover.xhtml.j2", cover_src=f"../{cover_image}", **context),
            )
        )
    docs += [
        XhtmlDocument(
            TITLEPAGE_FILE,
            publication.metadata.title,
            _render(env, "epub/titlepage.xhtml.j2", **context),
        )
    ]
    docs.append(
        XhtmlDocument(
            NAV_FILE,
            "Contents",
            _render(
                env,
                "epub/nav.xhtml.j2",
                href=href_from(""),
                titlepage_href=TITLEPAGE_FILE,
                cover_href=COVER_FILE if cover_image else None,
                pages=pages,
                **context,
            ),
        )
    )
    docs += _section_documents(publication, env, context, href_from("text"), owner)
    if not page_starts:
        return tuple(docs)
    marked = add_page_breaks(
        {d.name: d.content for d in docs}, page_starts, files, TITLEPAGE_FILE, NAV_FILE
    )
    return tuple(replace(d, content=marked.get(d.name, d.content)) for d in docs)


def _section_documents(
    publication: Publication,
    env: jinja2.Environment,
    context: dict[str, object],
    in_text: Callable[[str], str],
    owner: dict[str, str],
) -> list[XhtmlDocument]:
    """One XHTML per section, its links to other sections' anchors pointed at their files
    (``in_text``) and its images at their names inside the package."""
    images = epub_asset_names(publication)
    docs = []
    for section in publication.sections:

        def relink(match: re.Match[str], section: Section = section) -> str:
            anchor = match.group(1)
            if anchor in section.anchors or anchor not in owner:
                return match.group(0)  # same file (or a footnote): leave as is
            return f'href="{in_text(anchor)}"'

        body = _HREF_RE.sub(relink, section.html)
        body = with_image_sources(body, lambda asset: f"../{images[asset]}", section.assets)
        docs.append(
            XhtmlDocument(
                epub_file_name(section),
                section.title,
                _render(env, "epub/section.xhtml.j2", section=section, body_html=body, **context),
                section.id,
            )
        )
    return docs
