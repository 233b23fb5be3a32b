"""`mxpublish dist`: every edition of one version in ``dist/<slug>-<version>/``, with
``SHA256SUMS``, ``manifest.json`` (what it was made from and with) and a zip of the folder.

The folder is assembled beside its final place and swapped in whole, so a failed run leaves
the previous bundle as it was.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from mxpublish import __version__
from mxpublish.build import FORMATS, build, build_time, load
from mxpublish.dist.archive import (
    checksums,
    deterministic_zip,
    files_under,
    sha256_file,
    source_digest,
)
from mxpublish.dist.copies import Copy, stamp_copies
from mxpublish.dist.diff import SECTIONS_FILE
from mxpublish.errors import Diagnostic, UsageError, error, raise_if_errors
from mxpublish.model import Publication
from mxpublish.project import atomic_write, find_project

#: The libraries whose versions decide the bytes of the editions, recorded in the manifest.
LIBRARIES = (
    "weasyprint",
    "pydyf",
    "tinycss2",
    "cssselect2",
    "fonttools",
    "uharfbuzz",
    "pypdf",
    "ebooklib",
    "lxml",
    "pillow",
    "jinja2",
    "markdown-it-py",
    "mdit-py-plugins",
    "pygments",
    "nh3",
    "pyyaml",
    "font-source-serif-pro",
    "font-source-sans-pro",
    "pyhanko",
)


@dataclass(frozen=True)
class Signing:
    """``--sign KEY --cert CERT``: a PEM private key (unencrypted) and its certificate."""

    key: Path
    cert: Path


@dataclass(frozen=True)
class DistResult:
    folder: Path
    archive: Path
    files: tuple[Path, ...]
    diagnostics: tuple[Diagnostic, ...]
    copies: tuple[Copy, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)


def edition_name(publication: Publication) -> str:
    """``<slug>-<version>``; raises UsageError when publication.yaml has no ``version``."""
    meta = publication.metadata
    if not meta.version:
        raise UsageError(
            error(
                "DIST-VERSION",
                "publication.yaml has no `version`: a distribution is named by it",
                "source/publication.yaml",
                hint='add for example `version: "1.0"`',
            )
        )
    return f"{meta.slug}-{meta.version}"


def make_dist(
    project_dir: Path | str,
    out_dir: Path | str | None = None,
    *,
    release: bool = False,
    copies: tuple[Copy, ...] = (),
    signing: Signing | None = None,
    jobs: int = 1,
) -> DistResult:
    """Build every edition afresh into ``<out_dir>/<slug>-<version>/`` (default: the
    project's ``dist/``) and zip it. ``release`` refuses drafts and failed checks first;
    ``copies`` adds one numbered PDF per copy under ``copies/``; ``signing`` signs every PDF.
    Raises an MxError subclass on bad input; the previous bundle is kept on failure.
    """
    project = find_project(project_dir)
    publication = None
    if release:
        from mxpublish.check import load_and_check

        publication, found = load_and_check(project.root, release=True)
        raise_if_errors(found)
    if publication is None:
        publication = load(project.root)[1]
    signer = None
    if signing:
        from mxpublish.dist.sign import load_signer

        signer = load_signer(signing.key, signing.cert)
    name = edition_name(publication)
    root = Path(out_dir) if out_dir else project.root / "dist"
    folder, staging = root / name, root / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    seconds: dict[str, float] = {}
    try:
        started = time.perf_counter()
        diagnostics = _build_editions(project.root, staging, publication, jobs)
        seconds["editions"] = time.perf_counter() - started
        _add_copies_and_signatures(staging, publication, copies, signer, seconds)
        atomic_write(staging / SECTIONS_FILE, _sections_json(publication))
        manifest = _manifest(project.root, publication, staging, copies, signed=bool(signing))
        atomic_write(staging / "manifest.json", manifest)
        sums = checksums(staging, files_under(staging))
        atomic_write(staging / "SHA256SUMS", sums.encode("ascii"))
        _swap_in(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    archive = root / f"{name}.zip"
    atomic_write(archive, deterministic_zip(folder, name, build_time(publication)))
    return DistResult(
        folder, archive, tuple(files_under(folder)), diagnostics, copies, seconds=seconds
    )


def _add_copies_and_signatures(
    staging: Path,
    publication: Publication,
    copies: tuple[Copy, ...],
    signer: Any,
    seconds: dict[str, float],
) -> None:
    """The numbered copies of the screen PDF, then a signature on every PDF (``signer``
    None: unsigned); ``seconds`` gets the time each took."""
    slug = publication.metadata.slug
    pdf = staging / f"{slug}.pdf"
    if copies:
        started = time.perf_counter()
        for copy, data in zip(copies, stamp_copies(publication, pdf.read_bytes(), copies)):
            atomic_write(staging / copy.path(slug), data)
        seconds["copies"] = time.perf_counter() - started
    if signer is not None:
        from mxpublish.dist.sign import sign_pdf

        started = time.perf_counter()
        for path in files_under(staging):
            if path.suffix == ".pdf":
                atomic_write(path, sign_pdf(path.read_bytes(), signer))
        seconds["signing"] = time.perf_counter() - started


def _build_editions(
    root: Path, staging: Path, publication: Publication, jobs: int
) -> tuple[Diagnostic, ...]:
    """Every edition, afresh, into ``staging``; the print-shop PDF as ``<slug>-print.pdf``."""
    slug = publication.metadata.slug
    screen = build(
        root, FORMATS, staging, publication=publication, booklet=True, jobs=jobs, use_cache=False
    )
    (staging / "SHA256SUMS").unlink()  # the bundle's own sums replace the build's
    shop = build(
        root, ["pdf"], staging / "print", publication=publication, print_marks=True, use_cache=False
    )
    (staging / "print" / f"{slug}.pdf").rename(staging / f"{slug}-print.pdf")
    (staging / "print").rmdir()
    return (*screen.diagnostics, *shop.diagnostics)


def _swap_in(staging: Path, folder: Path) -> None:
    """Replace ``folder`` by ``staging``; the old one is removed only once the new is there."""
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _sections_json(publication: Publication) -> bytes:
    """Each section's id, title and running text: what `mxpublish diff` compares later."""
    data = {
        "title": publication.metadata.title,
        "language": publication.metadata.language,
        "identifier": publication.metadata.identifier,
        "version": publication.metadata.version,
        "date": publication.metadata.date.isoformat(),
        "sections": [
            {"id": s.id, "title": s.title, "status": s.status, "text": s.text}
            for s in publication.sections
        ],
    }
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _file_entries(folder: Path, slug: str) -> list[dict[str, Any]]:
    """Each file of the bundle so far: its path, what it is, its size and SHA-256."""
    kinds = {
        f"{slug}.pdf": "pdf-screen",
        f"{slug}-print.pdf": "pdf-print",
        f"{slug}-booklet.pdf": "pdf-booklet",
        f"{slug}.epub": "epub",
        f"{slug}.html": "html",
        SECTIONS_FILE: "sections",
    }
    entries = []
    for path in files_under(folder):
        relative = path.relative_to(folder).as_posix()
        kind = kinds.get(relative, "pdf-copy" if relative.startswith("copies/") else "other")
        size = path.stat().st_size
        entries.append({"path": relative, "kind": kind, "size": size, "sha256": sha256_file(path)})
    return entries


def library_versions() -> dict[str, str]:
    """The installed version of each library in LIBRARIES (``absent`` when not installed)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _manifest(
    project_root: Path,
    publication: Publication,
    folder: Path,
    copies: tuple[Copy, ...],
    *,
    signed: bool,
) -> bytes:
    meta = publication.metadata
    slug = meta.slug
    data = {
        "edition": {
            "title": meta.title,
            "identifier": meta.identifier,
            "slug": slug,
            "version": meta.version,
            "date": meta.date.isoformat(),
            "language": meta.language,
            "marking": meta.marking,
        },
        "version": meta.version,
        "date": meta.date.isoformat(),
        "built": build_time(publication).isoformat() + "Z",
        "source_sha256": source_digest(project_root),
        "tool": {"mxpublish": __version__, "python": platform.python_version()},
        "libraries": library_versions(),
        "pdf_variant": "pdf/ua-1",
        "print_pdf": "pdf/ua-1 with 0.25in bleed, crop and registration marks",
        "signed": signed,
        "files": _file_entries(folder, slug),
        "copies": [
            {
                "number": c.number,
                "of": c.total,
                "recipient": c.recipient,
                "line": c.line,
                "path": c.path(slug),
                "sha256": sha256_file(folder / c.path(slug)),
            }
            for c in copies
        ],
    }
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
