"""The model → HTML: one Jinja2 environment renders the print document, the EPUB's XHTML
files and the single-file web edition. Section bodies are inserted as data, never templates."""

from __future__ import annotations

import datetime as dt
import os
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from mxpublish import __version__
from mxpublish.config import decode_text
from mxpublish.errors import SandboxError, SourceError, error
from mxpublish.fonts import FontFace, font_face_css
from mxpublish.model import Publication, Section
from mxpublish.project import Project
from mxpublish.styles import inline_resources

THEME = resources.files("mxpublish").joinpath("theme")
_HREF_RE = re.compile(r'href="#([^"]+)"')
_MEDIA = ("print", "epub", "web")


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
    _refuse_links_out(project, project.templates_dir)
    theme_loader = jinja2.FileSystemLoader(str(THEME.joinpath("templates")))
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(str(project.templates_dir)),
            jinja2.PrefixLoader({"!theme": theme_loader}, delimiter="/"),
            theme_loader,
        ]
    )
    env = jinja2.Environment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    env.filters["longdate"] = _long_date
    env.filters["safe_fragment"] = Markup  # our own Markdown renderer's escaped output
    env.globals["version"] = __version__
    env.extend(mx_project_root=str(project.root))  # for messages only; not seen by templates
    return env


def _long_date(value: dt.date, language: str) -> str:
    if language.lower().startswith("en"):
        return f"{value:%B} {value.day}, {value.year}"
    return value.isoformat()


def stylesheet(project: Project, medium: str) -> str:
    """The CSS of one edition: ``base.css``, then ``<medium>.css``, then the project's
    ``custom.css``; a project file of the same name replaces the theme's."""
    if medium not in _MEDIA:
        raise ValueError(f"unknown medium {medium!r}")
    parts = []
    for name in ("base.css", f"{medium}.css", "custom.css"):
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


def document_html(
    publication: Publication,
    env: jinja2.Environment,
    medium: str,
    css: str = "",
    toc_depth: int = 1,
) -> str:
    """The whole publication as one HTML document (``medium`` is ``print`` or ``web``);
    for the web edition ``css`` is inlined so the file stands alone."""
    return _render(
        env,
        "publication.html.j2",
        medium=medium,
        css=Markup(css),
        toc_depth=toc_depth,
        local_href=lambda anchor: f"#{anchor}",
        **_context(publication),
    )


def epub_file_name(section: Section) -> str:
    return f"text/{section.number:02d}-{section.id}.xhtml"


def epub_documents(publication: Publication, env: jinja2.Environment) -> tuple[XhtmlDocument, ...]:
    """Title page, navigation document and one XHTML per section, links resolved across files."""
    files = {s.id: epub_file_name(s) for s in publication.sections}
    owner = {anchor: s.id for s in publication.sections for anchor in s.anchors}

    def href_from(base_dir: str) -> Callable[[str], str]:
        def href(anchor: str) -> str:
            target = files[owner[anchor]]
            rel = target.removeprefix(base_dir + "/") if base_dir else target
            return rel if anchor == owner[anchor] else f"{rel}#{anchor}"

        return href

    context = _context(publication)
    docs = [
        XhtmlDocument(
            "text/titlepage.xhtml",
            publication.metadata.title,
            _render(env, "epub/titlepage.xhtml.j2", **context),
        )
    ]
    docs.append(
        XhtmlDocument(
            "nav.xhtml",
            "Contents",
            _render(
                env,
                "epub/nav.xhtml.j2",
                href=href_from(""),
                titlepage_href="text/titlepage.xhtml",
                **context,
            ),
        )
    )
    in_text = href_from("text")
    for section in publication.sections:

        def relink(match: re.Match[str], section: Section = section) -> str:
            anchor = match.group(1)
            if anchor in section.anchors or anchor not in owner:
                return match.group(0)  # same file (or a footnote): leave as is
            return f'href="{in_text(anchor)}"'

        body = _HREF_RE.sub(relink, section.html)
        docs.append(
            XhtmlDocument(
                epub_file_name(section),
                section.title,
                _render(env, "epub/section.xhtml.j2", section=section, body_html=body, **context),
                section.id,
            )
        )
    return tuple(docs)
