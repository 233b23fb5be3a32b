"""Section files → validated ``Section`` records: front matter, order, ids, resolved links."""

from __future__ import annotations

import hashlib
import pickle
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from mxpublish.errors import Diagnostic, SandboxError, SourceError, error, raise_if_errors
from mxpublish.model import STATUSES, Asset, Block, Heading, Metadata, Publication, Section
from mxpublish.project import Project
from mxpublish.source.apparatus import apply_apparatus, generated_sections
from mxpublish.source.assets import collect_images
from mxpublish.source.constructs import PRINT, SCREEN, RenderState, note_bodies, render_section
from mxpublish.source.markdown import MAX_NESTING, create_parser, inline_text, typeset
from mxpublish.source.math import MATH_TOKENS
from mxpublish.source.metadata import (
    Field,
    decode_text,
    load_metadata,
    load_yaml_mapping,
    slugify,
    validate_mapping,
)
from mxpublish.source.sanitize import RawImage, check_attributes

SECTION_FILE_RE = re.compile(r"^(\d+)-([A-Za-z0-9][A-Za-z0-9_-]*)\.md$")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
#: Larger sections are refused before they are read: a 10 MB section takes ~6 minutes and
#: ~1.7 GB to lay out as a PDF, and memory grows with the size.
MAX_SECTION_BYTES = 16_000_000
#: Inline markup nested deeper than this (``***...***``) is refused; see _nesting_problems.
MAX_INLINE_NESTING = 20
#: Elements nested deeper than this (raw HTML can nest without markdown's limits) are refused.
MAX_HTML_DEPTH = 100
_ELEMENT_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>")
_VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "col", "input", "meta", "link", "source"})
_MD_LINK_RE = re.compile(r"^(?P<file>[^/:#?]+\.md)?(?:#(?P<anchor>.*))?$")

SECTION_SCHEMA = {
    "title": Field("text", required=True),
    "id": Field("text"),
    "status": Field("choice", choices=STATUSES),
    "summary": Field("text"),
}


@dataclass
class _Draft:
    """A section between parsing and rendering, while ids are made unique publication-wide."""

    file: str
    name: str
    number: int
    front: dict[str, Any]
    tokens: list[Token]
    id: str = ""
    headings: list[Heading] = field(default_factory=list)
    anchors: dict[str, str] = field(default_factory=dict)  # as written → final id
    lines: tuple[str, ...] = ()
    targets: list[str] = field(default_factory=list)  # ids of figures and tables
    assets: tuple[Asset, ...] = ()
    raw_images: list[RawImage] = field(default_factory=list)  # <img> in allowed raw HTML


def load_publication(project: Project, md: MarkdownIt | None = None) -> Publication:
    """Load publication.yaml and every section into the immutable model.

    Raises SourceError carrying every problem found in the sources, not only the first.
    """
    problems: list[Diagnostic] = []
    metadata = None
    try:
        metadata = load_metadata(project)
    except SourceError as exc:
        problems.extend(exc.diagnostics)
    sections: tuple[Section, ...] = ()
    md = md or create_parser(allow_html=metadata is not None and metadata.allow_html)
    notices: list[Diagnostic] = []
    try:
        sections = load_sections(project, md, metadata, notices)
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
    return Publication(project.root, metadata, sections, tuple(notices))


def load_sections(
    project: Project,
    md: MarkdownIt,
    metadata: Metadata | None = None,
    notices: list[Diagnostic] | None = None,
) -> tuple[Section, ...]:
    """Parse, validate and render every ``source/NN-name.md`` in file-name order, for screen
    and for print, numbering notes and captions as ``metadata`` says; the apparatus
    (citations, math, cross-references) adds its generated sections and ``notices``."""
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
    drafts: list[_Draft] = []
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
    problems.extend(_assign_ids(drafts))
    problems.extend(_resolve_links(drafts, frozenset(failed)))
    raise_if_errors(sorted(problems, key=Diagnostic.sort_key))
    apparatus = apply_apparatus(project, metadata, drafts)
    raise_if_errors(sorted(apparatus.problems, key=Diagnostic.sort_key))
    (notices if notices is not None else []).extend(apparatus.notices)
    screen, paper = _render_states(metadata)
    if apparatus.numbering.captions_referenced:  # "see Figure 2" needs "Figure 2." printed
        screen.figure_numbers = paper.figure_numbers = True
    sections = tuple(_render(draft, md, screen, paper) for draft in drafts)
    for draft, section in zip(drafts, sections, strict=True):
        problems.extend(_raw_image_problems(project, draft))
        if _html_depth(section.html) > MAX_HTML_DEPTH:
            problems.append(
                error(
                    "SECTION-NESTING",
                    f"HTML elements nested more than {MAX_HTML_DEPTH} deep",
                    draft.file,
                    hint="simplify the raw HTML",
                )
            )
    raise_if_errors(problems)
    before, after = generated_sections(metadata, sections, apparatus) if metadata else ((), ())
    return before + sections + after


#: Per parser, the pickled tokens of texts it has parsed (up to _MEMO_ENTRIES texts of at most
#: _MEMO_BYTES): unpickling is about 4× faster than parsing and yields fresh tokens to mutate.
_PARSED: weakref.WeakKeyDictionary[MarkdownIt, dict[bytes, bytes]] = weakref.WeakKeyDictionary()
_MEMO_ENTRIES = 4096
_MEMO_BYTES = 1_000_000


def _tokens(md: MarkdownIt, text: str) -> tuple[list[Token], dict[str, Any]]:
    """markdown-it's tokens (and env) for ``text``: a section this parser has seen before, in
    an earlier build of the same process (watch, serve), is not parsed again."""
    memo = _PARSED.setdefault(md, {})
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    blob = memo.get(key)
    if blob is not None:
        memoized: tuple[list[Token], dict[str, Any]] = pickle.loads(blob)
        return memoized
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    if len(text) <= _MEMO_BYTES:
        if len(memo) >= _MEMO_ENTRIES:
            memo.pop(next(iter(memo)))
        memo[key] = pickle.dumps((tokens, env), protocol=pickle.HIGHEST_PROTOCOL)
    return tokens, env


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


def _html_depth(html: str) -> int:
    """Deepest element nesting of a rendered (well-formed) fragment."""
    depth = deepest = 0
    for closing, name, self_closing in _ELEMENT_RE.findall(html):
        if closing:
            depth -= 1
        elif not self_closing and name.lower() not in _VOID_TAGS:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _raw_image_problems(project: Project, draft: _Draft) -> list[Diagnostic]:
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


def _parse(
    path: Any, file: str, number: int, name: str, md: MarkdownIt, project: Project
) -> _Draft:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(error("SOURCE-UNREADABLE", f"cannot read: {exc.strerror}", file)) from exc
    text = decode_text(raw, file)
    if not text.strip():
        raise SourceError(
            error(
                "SECTION-EMPTY",
                "section file is empty",
                file,
                hint="add `---`, `title: Your title`, `---` and the text, or delete the file",
            )
        )
    tokens, env = _tokens(md, text)
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
    front, lines = load_yaml_mapping(front_token.content, file, first_line=2)
    problems = validate_mapping(front, lines, SECTION_SCHEMA, file, 1)
    if front.get("id") is not None and not _ID_RE.match(str(front["id"])):
        problems.append(
            error(
                "SECTION-ID",
                f"id {front['id']!r} must start with a letter and "
                "hold only letters, digits, - and _",
                file,
                lines.get("id"),
            )
        )
    nesting = _nesting_problems(tokens, file)
    problems.extend(nesting)
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
    problems.extend(_note_problems(tokens, file))
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
    raise_if_errors(problems)
    written = tuple(text.removesuffix("\n").split("\n"))
    return _Draft(
        file=file,
        name=path.name,
        number=number,
        front=front,
        tokens=tokens,
        assets=assets,
        lines=written,
    )


_NOTE_PARTS = ("paragraph_open", "inline", "paragraph_close")
_BLOCK_NAMES = {
    "bullet_list": "list",
    "ordered_list": "list",
    "fence": "code block",
    "code_block": "code block",
    "blockquote": "quotation",
    "hr": "rule",
    "dl": "definition list",
}


def _note_problems(tokens: list[Token], file: str) -> list[Diagnostic]:
    """Notes hold paragraphs only: print sets a note inside the line that calls it."""
    problems = []
    for body in note_bodies(tokens).values():
        for token in body:
            if token.type not in _NOTE_PARTS:
                kind = token.type.removesuffix("_open")
                name = _BLOCK_NAMES.get(kind, kind.replace("_", " "))
                line = token.map[0] + 1 if token.map else None
                problems.append(
                    error(
                        "FOOTNOTE-BLOCK",
                        f"a footnote holds a {name}; notes may hold paragraphs only",
                        file,
                        line,
                        hint="move the list, table, code or quotation into the text",
                    )
                )
                break
    return problems


def _nesting_problems(tokens: list[Token], file: str) -> list[Diagnostic]:
    """markdown-it silently drops blocks nested deeper than its limit, and nests emphasis
    without one (WeasyPrint's layout recursion fails past ~150 levels): report both."""
    for token in tokens:
        depth = deepest = 0
        for child in token.children or []:
            depth += child.nesting
            deepest = max(deepest, depth)
        container = token.type in ("blockquote_open", "list_item_open", "dd_open")
        container = container or token.type.startswith(("container_", "footnote_reference"))
        if deepest > MAX_INLINE_NESTING:
            message = "emphasis, links or other inline markup nested more than "
            message += f"{MAX_INLINE_NESTING} deep"
            hint = "unbalanced `*` or `_`? Escape literal ones as `\\*`"
        elif container and token.nesting == 1 and token.level >= MAX_NESTING - 1:
            message = "lists, quotes or callouts are nested too deeply here "
            message += f"(more than {MAX_NESTING} levels of markup)"
            hint = "flatten the structure: readers cannot follow such nesting either"
        else:
            continue
        line = token.map[0] + 1 if token.map else None
        return [error("SECTION-NESTING", message, file, line, hint=hint)]
    return []


def _assign_ids(drafts: list[_Draft]) -> list[Diagnostic]:
    """Give sections and headings ids unique across the publication (one HTML for print)."""
    problems: list[Diagnostic] = []
    used: dict[str, str] = {}
    for draft in drafts:
        name = SECTION_FILE_RE.match(draft.name)
        assert name is not None
        explicit = draft.front.get("id")
        section_id = str(explicit) if explicit else _xml_id(slugify(name.group(2)))
        if section_id in used:
            problems.append(
                error(
                    "SECTION-ID-DUPLICATE",
                    f"section id {section_id!r} is also used by {used[section_id]}",
                    draft.file,
                    hint="set a different `id` in the front matter",
                )
            )
        used[section_id] = draft.file
        draft.id = section_id
    for draft in drafts:
        tokens = draft.tokens
        for index, token in enumerate(tokens):
            if token.type in ("figure_open", "table_open") and token.attrGet("id"):
                written = str(token.attrGet("id"))
                final = _unique(_xml_id(written), used, draft.file)
                token.attrSet("id", final)
                draft.anchors.setdefault(written, final)
                draft.targets.append(final)
            if token.type != "heading_open":
                continue
            text = inline_text(tokens[index + 1])
            requested = str(token.attrs["id"]) if token.attrs.get("id") else None
            written = requested or slugify(text)
            final = _unique(_xml_id(written), used, draft.file)
            token.attrSet("id", final)
            draft.anchors.setdefault(written, final)
            line = token.map[0] + 1 if token.map else None
            draft.headings.append(Heading(int(token.tag[1]), text, final, line, requested))
    return problems


def _unique(candidate: str, used: dict[str, str], file: str) -> str:
    final, n = candidate, 1
    while final in used:
        n += 1
        final = f"{candidate}-{n}"
    used[final] = file
    return final


def _xml_id(slug: str) -> str:
    return slug if slug[:1].isalpha() else f"s-{slug}"


def _resolve_links(
    drafts: list[_Draft], unchecked: frozenset[str] = frozenset()
) -> list[Diagnostic]:
    """Turn links to sections (``02-history.md``) and anchors (``#x``) into ``#final-id``."""
    problems: list[Diagnostic] = []
    by_name = {d.name: d for d in drafts}
    for draft in drafts:
        line, col = 1, None
        for token in draft.tokens:
            if token.map:
                line = token.map[0] + 1
            for child in token.children or []:
                if child.type != "link_open":
                    continue
                href = str(child.attrs.get("href", ""))
                match = _MD_LINK_RE.match(href)
                if not match or href == "":
                    continue
                target = by_name.get(match.group("file") or draft.name)
                anchor = match.group("anchor")
                if token.map:  # where the target is written, when it is on one line
                    line, col = _locate(draft.lines, token.map, f"]({href}")
                    col = col + 2 if col else None
                if target is None and match.group("file") in unchecked:
                    continue
                if target is None:
                    problems.append(
                        error(
                            "LINK-BROKEN",
                            f"link to {href!r}: no such section",
                            draft.file,
                            line,
                            col,
                        )
                    )
                    continue
                if not anchor:
                    child.attrSet("href", f"#{target.id}")
                    child.attrJoin("class", "xref")
                elif anchor in target.anchors or anchor == target.id:
                    child.attrSet("href", f"#{target.anchors.get(anchor, target.id)}")
                    child.attrJoin("class", "xref")
                else:
                    known = ", ".join(sorted(target.anchors)[:8])
                    problems.append(
                        error(
                            "LINK-BROKEN",
                            f"link to {href!r}: no heading with that anchor in {target.file}",
                            draft.file,
                            line,
                            col,
                            hint=f"anchors there: {known}" if known else None,
                        )
                    )
    return problems


def _render(draft: _Draft, md: MarkdownIt, screen: RenderState, paper: RenderState) -> Section:
    found: dict[str, Any] = {}
    html = render_section(md, draft.tokens, draft.id, screen, found)
    draft.raw_images = found.get("raw_images", [])
    print_html = render_section(md, draft.tokens, draft.id, paper)
    return Section(
        number=draft.number,
        source=draft.file,
        id=draft.id,
        title=typeset(md, str(draft.front["title"]).strip()),
        html=html,
        text=_running_text(draft.tokens),
        headings=tuple(draft.headings),
        targets=tuple(draft.targets),
        status=str(draft.front.get("status") or "final"),
        summary=(str(draft.front["summary"]).strip() if draft.front.get("summary") else None),
        blocks=tuple(_blocks(draft.tokens)),
        lines=draft.lines,
        print_html=print_html,
        assets=draft.assets,
    )


_BLOCK_KINDS = {"paragraph_open": "paragraph", "td_open": "cell", "th_open": "cell"}
_TAG_RE = re.compile(r"<[^>]*>")


def _blocks(tokens: list[Token]) -> Iterator[Block]:
    """The text blocks the linter reads, in source order, with their first line.

    Paragraphs of a line block (verse, an address) are ``line``s and a quotation's closing
    ``— Source`` is an ``attribution``: neither is expected to end a sentence.
    """
    lists = quotes = line_blocks = 0
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif token.type in ("blockquote_open", "blockquote_close"):
            quotes += token.nesting
        elif token.type in ("container_lines_open", "container_lines_close"):
            line_blocks += token.nesting
        elif token.type == "html_block" and token.map:
            prose = _TAG_RE.sub("", token.content).strip()
            yield Block("html", token.map[0] + 1, token.content.rstrip("\n"), prose)
        elif token.type == "inline" and token.map and index:
            kind = _BLOCK_KINDS.get(tokens[index - 1].type)
            if kind:
                prose = _prose(token)
                if kind == "paragraph" and line_blocks:
                    kind = "line"
                elif kind == "paragraph" and quotes and prose.lstrip().startswith(("—", "―")):
                    kind = "attribution"
                elif kind == "paragraph" and lists:
                    kind = "item"
                yield Block(kind, token.map[0] + 1, token.content, prose)


def _prose(token: Token) -> str:
    """What a reader sees of an inline token, code spans and raw HTML left out."""
    parts = []
    for child in token.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _locate(lines: tuple[str, ...], span: list[int], needle: str) -> tuple[int, int | None]:
    """1-based line and column of ``needle`` within the lines ``span`` covers (its first
    line and no column when the needle is not written as is, e.g. across a line break)."""
    for number in range(span[0], min(span[1], len(lines))):
        col = lines[number].find(needle)
        if col >= 0:
            return number + 1, col + 1
    return span[0] + 1, None


#: Blocks whose text is not running prose: headings, notes, tables, figure captions.
_ASIDE_BLOCKS = ("heading", "footnote_block", "table", "figure")


def _running_text(tokens: list[Token]) -> str:
    """The plain text of the section's paragraphs and list items, in order: the prose whose
    last sentence `check` reads."""
    paragraphs: list[str] = []
    depth = 0
    for token in tokens:
        kind = token.type.removesuffix("_open").removesuffix("_close")
        if kind in _ASIDE_BLOCKS:
            depth += token.nesting
        elif token.type == "inline" and not depth:
            paragraphs.append(inline_text(token))
    return "\n\n".join(p for p in paragraphs if p)
