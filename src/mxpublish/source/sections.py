"""Section files → validated ``Section`` records: front matter, order, ids, resolved links."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from mxpublish.errors import (
    Diagnostic,
    SandboxError,
    Severity,
    SourceError,
    error,
    raise_if_errors,
)
from mxpublish.model import ID_RE, STATUSES, Asset, Metadata, Publication, Section
from mxpublish.project import Project
from mxpublish.source.anchors import SECTION_FILE_RE, Draft
from mxpublish.source.apparatus import apply_apparatus, generated_sections
from mxpublish.source.assets import collect_images
from mxpublish.source.comments import comment_diagnostics
from mxpublish.source.foreign import foreign_diagnostics
from mxpublish.source.ids import assign_ids
from mxpublish.source.links import resolve_links
from mxpublish.source.markdown import create_parser, parse_memoized, typeset
from mxpublish.source.math import MATH_TOKENS
from mxpublish.source.memo import KEEP, Memo
from mxpublish.source.metadata import ConfigFile, load_metadata
from mxpublish.source.rendered import render_draft
from mxpublish.source.rendering import PRINT, SCREEN, RenderState
from mxpublish.source.sanitize import check_attributes
from mxpublish.source.schema import Field, decode_text, load_yaml_mapping, validate_mapping
from mxpublish.source.structure import (
    MAX_HTML_DEPTH,
    html_depth,
    nesting_problems,
    note_problems,
)

#: Larger sections are refused before they are read: a 10 MB section takes ~6 minutes and
#: ~1.7 GB to lay out as a PDF, and memory grows with the size.
MAX_SECTION_BYTES = 16_000_000

SECTION_SCHEMA = {
    "title": Field("text", required=True),
    "id": Field("text"),
    "status": Field("choice", choices=STATUSES),
    "summary": Field("text"),
}


def load_publication(
    project: Project, md: MarkdownIt | None = None, config: ConfigFile | None = None
) -> Publication:
    """Load publication.yaml and every section into the immutable model.

    Raises SourceError carrying every problem found in the sources, not only the first.
    """
    problems: list[Diagnostic] = []
    metadata = None
    try:
        metadata = load_metadata(project, config)
    except SourceError as exc:
        problems.extend(exc.diagnostics)
    sections: tuple[Section, ...] = ()
    notes: list[Diagnostic] = []
    md = md or create_parser(allow_html=metadata is not None and metadata.allow_html)
    try:
        sections = load_sections(project, md, metadata, notes)
    except SourceError as exc:
        problems.extend(exc.diagnostics)
    raise_if_errors(problems)
    assert metadata is not None
    typeset_fields: dict[str, Any] = {
        key: typeset(md, value)
        for key in ("title", "subtitle", "short_title", "description", "rights")
        if isinstance(value := getattr(metadata, key), str)
    }
    metadata = replace(metadata, **typeset_fields)
    return Publication(project.root, metadata, sections, tuple(notes))


def load_sections(
    project: Project,
    md: MarkdownIt,
    metadata: Metadata | None = None,
    notes: list[Diagnostic] | None = None,
) -> tuple[Section, ...]:
    """Parse, validate and render every ``source/NN-name.md`` in file-name order, for screen
    and for print, numbering notes and captions as ``metadata`` says; the apparatus
    (citations, math, cross-references) adds its generated sections. What does not stop a
    build (broken links, comments held back, uncited works) is added to ``notes``."""
    problems: list[Diagnostic] = []
    paths = sorted(p for p in project.source_dir.glob("*.md"))
    if not paths:
        raise SourceError(
            error(
                "SOURCE-NO-SECTIONS",
                "no sections found",
                project.relative(project.source_dir),
                hint="add files named like source/01-introduction.md",
            )
        )
    drafts: list[Draft] = []
    numbers: dict[int, str] = {}
    failed: set[str] = set()  # names of sections that did not parse: links to them go unchecked
    for path in paths:
        file = project.relative(path)
        match = SECTION_FILE_RE.match(path.name)
        if not match:
            problems.append(
                error(
                    "SECTION-NAME",
                    "section file names must look like `NN-name.md` (a number, a hyphen, a name)",
                    file,
                )
            )
            continue
        number = int(match.group(1))
        if number in numbers:
            problems.append(
                error(
                    "SECTION-ORDER",
                    f"order number {number} is also used by {numbers[number]}",
                    file,
                    hint="give every section its own number",
                )
            )
        numbers[number] = file
        try:
            _check_file(project, path, file)
            drafts.append(_parse(path, file, number, match.group(2), md, project))
        except SourceError as exc:
            problems.extend(exc.diagnostics)
            failed.add(path.name)
    drafts.sort(key=lambda d: (d.number, d.name))
    problems.extend(assign_ids(drafts))
    problems.extend(resolve_links(drafts, frozenset(failed)))
    raise_if_errors(sorted(problems, key=Diagnostic.sort_key))
    apparatus = apply_apparatus(project, metadata, drafts)
    raise_if_errors(sorted(apparatus.problems, key=Diagnostic.sort_key))
    if notes is not None:
        found = [d for d in problems if d.severity is not Severity.ERROR]
        found.extend(note for draft in drafts for note in draft.notes)
        found.extend(apparatus.notices)
        notes.extend(sorted(found, key=Diagnostic.sort_key))
    screen, paper = _render_states(metadata)
    if apparatus.numbering.captions_referenced:  # "see Figure 2" needs "Figure 2." printed
        screen.figure_numbers = paper.figure_numbers = True
    sections = tuple(render_draft(draft, md, screen, paper) for draft in drafts)
    problems.extend(_rendered_problems(project, drafts, sections))
    raise_if_errors(problems)
    before, after = generated_sections(metadata, sections, apparatus) if metadata else ((), ())
    return before + sections + after


def _rendered_problems(
    project: Project, drafts: list[Draft], sections: tuple[Section, ...]
) -> list[Diagnostic]:
    """What only the rendering shows: images in allowed raw HTML, HTML nested too deep."""
    problems: list[Diagnostic] = []
    for draft, section in zip(drafts, sections, strict=True):
        problems.extend(_raw_image_problems(project, draft))
        if html_depth(section.html) > MAX_HTML_DEPTH:
            problems.append(
                error(
                    "SECTION-NESTING",
                    f"HTML elements nested more than {MAX_HTML_DEPTH} deep",
                    draft.file,
                    hint="simplify the raw HTML",
                )
            )
    return problems


def _check_file(project: Project, path: Path, file: str) -> None:
    """A section must be a readable regular file inside the project (a symlink may point
    elsewhere inside it, never out)."""
    if not path.exists():
        raise SourceError(error("SOURCE-UNREADABLE", "cannot read: broken symbolic link", file))
    link_out = project.link_out(path)
    if link_out:
        raise SandboxError(link_out)
    if not path.is_file():
        raise SourceError(error("SOURCE-UNREADABLE", "cannot read: not a regular file", file))
    size = path.stat().st_size
    if size > MAX_SECTION_BYTES:
        raise SourceError(
            error(
                "SECTION-TOO-LARGE",
                f"section is {size / 1e6:.1f} MB; the limit is {MAX_SECTION_BYTES // 10**6} MB",
                file,
                hint="split it into several section files",
            )
        )


def _raw_image_problems(project: Project, draft: Draft) -> list[Diagnostic]:
    """``<img>`` in raw HTML: refused, with the sandbox's reason when it points outside the
    project or to the network (nothing is read or fetched either way)."""
    problems: list[Diagnostic] = []
    for image in draft.raw_images:
        try:
            path = project.resolve_inside(
                image.src, project.source_dir, file=draft.file, line=image.line
            )
        except SandboxError as exc:
            problems.extend(exc.diagnostics)
            continue
        if not path.is_file():
            message = f"image {image.src!r} not found"
            problems.append(error("RESOURCE-MISSING", message, draft.file, image.line))
            continue
        problems.append(
            error(
                "HTML-IMG",
                "images in raw HTML are not supported",
                draft.file,
                image.line,
                hint=f"write it in Markdown: ![alt text]({image.src})",
            )
        )
    return problems


def _render_states(metadata: Metadata | None) -> tuple[RenderState, RenderState]:
    """The screen and print passes, numbering as publication.yaml says (its defaults when it
    could not be read: the sections' own problems are still worth reporting)."""
    if metadata is None:
        return RenderState(SCREEN), RenderState(PRINT)
    screen, paper = (
        RenderState(
            medium=medium,
            notes_per_section=metadata.footnote_numbering == "section",
            print_urls=metadata.print_urls,
            figure_numbers=metadata.figure_numbers,
        )
        for medium in (SCREEN, PRINT)
    )
    return screen, paper


def _parse(path: Any, file: str, number: int, name: str, md: MarkdownIt, project: Project) -> Draft:
    text = _read_text(path, file)
    tokens, env = parse_memoized(md, text)
    if not tokens or tokens[0].type != "front_matter":
        raise SourceError(
            error(
                "SECTION-NO-FRONT-MATTER",
                "a section starts with front matter between `---` lines",
                file,
                1,
                hint="add `---`, `title: Your title`, `---` at the top",
            )
        )
    front_token = tokens.pop(0)
    front, lines = _front_matter(front_token.content, file)
    problems = validate_mapping(front, lines, SECTION_SCHEMA, file, 1)
    if front.get("id") is not None and not ID_RE.match(str(front["id"])):
        problems.append(
            error(
                "SECTION-ID",
                f"id {front['id']!r} must start with a letter and "
                "hold only letters, digits, - and _",
                file,
                lines.get("id"),
            )
        )
    assets, body_problems = _body_problems(tokens, env, front_token, file, project)
    problems.extend(body_problems)
    written = tuple(text.removesuffix("\n").split("\n"))
    comments = comment_diagnostics(env, file) + foreign_diagnostics(tokens, env, written, file)
    problems.extend(comments)
    raise_if_errors(problems)
    return Draft(
        file=file,
        name=path.name,
        number=number,
        front=front,
        tokens=tokens,
        assets=assets,
        lines=written,
        notes=[d for d in comments if d.severity is not Severity.ERROR],
    )


#: Front matter already read in this process (watch, serve): YAML is the slowest part of
#: loading a section whose tokens are memoized.
_FRONT = Memo[tuple[dict[str, Any], dict[str, int]]](4096)


#: Section files already decoded and checked in this process, by their bytes.
_DECODED = Memo[str](4096, weight=100_000_000)


def _front_matter(content: str, file: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The section's front matter mapping and its keys' lines (a fresh copy each time)."""
    key = (content, file)
    found = _FRONT.get(key)
    if found is None:
        found = load_yaml_mapping(content, file, first_line=2)
        if KEEP[0]:
            _FRONT.put(key, found)
    return dict(found[0]), dict(found[1])


def _read_text(path: Path, file: str) -> str:
    """The section file's text, decoded strictly; an empty file is an error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(error("SOURCE-UNREADABLE", f"cannot read: {exc.strerror}", file)) from exc
    text = _DECODED.get(raw)
    if text is None:
        text = decode_text(raw, file)
        if KEEP[0]:
            _DECODED.put(raw, text, 2 * len(raw))  # bytes and text
    if not text.strip():
        raise SourceError(
            error(
                "SECTION-EMPTY",
                "section file is empty",
                file,
                hint="add `---`, `title: Your title`, `---` and the text, or delete the file",
            )
        )
    return text


def _body_problems(
    tokens: list[Token], env: dict[str, Any], front_token: Token, file: str, project: Project
) -> tuple[tuple[Asset, ...], list[Diagnostic]]:
    """The section's images as assets, and every problem of its body: nesting, no text,
    images, notes, level-1 headings, attributes and footnote labels."""
    nesting = nesting_problems(tokens, file)
    problems = list(nesting)
    if (
        not nesting
        and not any(t.type == "inline" and t.content.strip() for t in tokens)
        and not any(
            t.type in ("fence", "code_block", "hr", "html_block", *MATH_TOKENS) for t in tokens
        )
    ):
        end = front_token.map[1] if front_token.map else 1
        problems.append(error("SECTION-EMPTY", "section has no text", file, end))
    assets, image_problems = collect_images(tokens, project, file)
    problems.extend(image_problems)
    problems.extend(note_problems(tokens, file))
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            line = token.map[0] + 1 if token.map else None
            problems.append(
                error(
                    "SECTION-H1",
                    f"`# {tokens[index + 1].content}` is a level-1 heading",
                    file,
                    line,
                    hint="the section title comes from front matter `title`; use `##` inside",
                )
            )
    problems.extend(check_attributes(tokens, file))
    for kind, label, line, first in env.get("footnote_problems", []):
        if kind == "duplicate":
            message = f"footnote [^{label}] is defined twice (first on line {first})"
            hint = "give each note its own label"
        else:
            message = f"footnote [^{label}] is never referenced, so its text would not appear"
            hint = f"cite it in the text with [^{label}], or delete it"
        problems.append(error("FOOTNOTE-" + kind.upper(), message, file, line, hint=hint))
    return assets, problems
