"""Images named in the sources → ``Asset`` records: confined to the project, present, of a type
every edition can show (told by the file's bytes, not its name), and with alt text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from markdown_it.token import Token

from mxpublish.errors import Diagnostic, MxError, SourceError, error
from mxpublish.model import Asset
from mxpublish.project import Project

#: Media types the PDF, the EPUB (core media types) and browsers all display.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}


def _same_name(project: Project, path: Path) -> str | None:
    """A hint naming a file of that name under source/ (a path written for another layout)."""
    for found in sorted(project.source_dir.rglob(path.name))[:1]:
        if found.is_file() and project.link_out(found) is None:
            written = found.relative_to(project.source_dir).as_posix()
            return f"did you mean {written}? (image paths are relative to source/)"
    return None


def collect_images(
    tokens: Sequence[Token], project: Project, file: str
) -> tuple[tuple[Asset, ...], list[Diagnostic]]:
    """Check every image of a section and point its ``src`` at the project-relative path.

    Returns the assets in order of first use and the problems found, each with its line.
    """
    assets: dict[str, Asset] = {}
    problems: list[Diagnostic] = []
    for image, line in _images(tokens):
        src = str(image.attrGet("src") or "")
        alt = "".join(c.content for c in image.children or [] if c.type in ("text", "code_inline"))
        if not alt.strip():
            problems.append(
                error(
                    "IMAGE-ALT",
                    f"image {src!r} has no alt text",
                    file,
                    line,
                    hint="describe the image between the brackets: ![what it shows](path)",
                )
            )
        try:
            asset = _asset(src, project, file, line)
        except MxError as exc:
            problems.extend(exc.diagnostics)
            continue
        assets.setdefault(asset.path, asset)
        image.attrSet("src", quote(asset.path))
    return tuple(assets.values()), problems


def _images(tokens: Sequence[Token]) -> Iterator[tuple[Token, int | None]]:
    """Every image token with the source line it is on (block start + line breaks before it)."""
    for token in tokens:
        start = token.map[0] + 1 if token.map else None
        offset = 0
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                offset += 1
            elif child.type == "image":
                yield child, (start + offset if start else None)


def _asset(src: str, project: Project, file: str, line: int | None) -> Asset:
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        raise SourceError(
            error(
                "IMAGE-REMOTE",
                f"image {src!r} is not a file in the project",
                file,
                line,
                hint="builds never use the network: save the image under source/images/",
            )
        )
    reference = unquote(parts.path)
    path = project.resolve_inside(reference, project.source_dir, file=file, line=line)
    media_type = IMAGE_TYPES.get(path.suffix.lower())
    if not path.is_file():
        raise SourceError(
            error(
                "IMAGE-MISSING",
                f"image {reference!r} not found (looked for {project.relative(path)})",
                file,
                line,
                hint=_same_name(project, path)
                or "image paths are relative to source/, e.g. images/map.png",
            )
        )
    if media_type is None:
        raise SourceError(
            error(
                "IMAGE-TYPE",
                f"image {reference!r}: {path.suffix or 'no extension'} is not supported",
                file,
                line,
                hint="use PNG, JPEG, GIF or SVG",
            )
        )
    found = _sniff(path)
    if found != media_type:
        raise SourceError(
            error(
                "IMAGE-TYPE",
                f"image {reference!r} is named {path.suffix} but its content is "
                f"{found or 'not a PNG, JPEG, GIF or SVG image'}",
                file,
                line,
                hint="convert it, or give it the extension of its real type",
            )
        )
    return Asset(project.relative(path), media_type)


def _sniff(path: Path) -> str | None:
    """The media type the file's first bytes show, or None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if b"<svg" in head:
        return "image/svg+xml"
    return None


def read_asset(root: Path, asset: Asset) -> bytes:
    """The bytes of ``asset`` for packaging. Raises SourceError if it cannot be read now."""
    try:
        return (root / asset.path).read_bytes()
    except OSError as exc:
        raise SourceError(
            error("IMAGE-UNREADABLE", f"cannot read image: {exc.strerror}", asset.path)
        ) from exc
