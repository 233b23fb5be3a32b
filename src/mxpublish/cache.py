"""The build cache: an output whose inputs have not changed since it was written is kept.

Inputs are fingerprinted by content (every file under ``source/``, ``styles/`` and
``templates/``, the theme shipped with the package, the font files, the mxpublish version,
``SOURCE_DATE_EPOCH`` and the build options), never by modification time alone, so a touched
but unchanged file costs nothing and a changed one is always seen. The manifest and the cached
print page map live in ``<project>/.mxpublish-cache/<output dir key>/``, beside the sources
rather than among the outputs to distribute; deleting it forces a full build.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mxpublish import __version__

CACHE_DIRNAME = ".mxpublish-cache"
_MANIFEST = "manifest.json"
Writer = Callable[[Path, bytes], None]


#: The project folders an output depends on, hashed in this order.
TREE_DIRS = ("source", "styles", "templates")


@dataclass(frozen=True)
class TreeDigests:
    """Each file under one folder (relative POSIX path → SHA-256 digest, or None when it
    cannot be read), or None when the folder does not exist."""

    files: tuple[tuple[str, bytes | None], ...] | None


def digest_tree(root: Path) -> TreeDigests:
    """Read and hash every file under ``root`` once (the cache's own folder left out)."""
    if not root.is_dir():
        return TreeDigests(None)
    files: list[tuple[str, bytes | None]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if CACHE_DIRNAME in path.parts:
            continue
        try:
            files.append(
                (path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).digest())
            )
        except OSError:
            files.append((path.relative_to(root).as_posix(), None))  # the loader reports it
    return TreeDigests(tuple(files))


def digest_project(project_root: Path) -> dict[str, TreeDigests]:
    """The project's folders hashed once per build; every output's fingerprint uses them."""
    return {name: digest_tree(project_root / name) for name in TREE_DIRS}


def _feed(tree: TreeDigests, digest: Any, skip_names: Collection[str] = ()) -> None:
    if tree.files is None:
        digest.update(b"<none>")
        return
    for relative, file_hash in tree.files:
        if relative.rsplit("/", 1)[-1] in skip_names:
            continue
        digest.update(relative.encode() + b"\0")
        digest.update(file_hash if file_hash is not None else b"<unreadable>")


@functools.lru_cache(maxsize=8)
def _theme_digest(skip_names: frozenset[str]) -> str:
    digest = hashlib.sha256()
    _feed(_theme_tree(), digest, skip_names)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _theme_tree() -> TreeDigests:
    return digest_tree(Path(str(resources.files("mxpublish").joinpath("theme"))))


def fingerprint(
    tree: Mapping[str, TreeDigests],
    font_files: Iterable[Path],
    options: Mapping[str, object],
    skip_styles: frozenset[str] = frozenset(),
) -> str:
    """One hex digest of everything an output depends on: ``tree`` (from digest_project),
    the theme, the fonts, the version, ``SOURCE_DATE_EPOCH`` and ``options``; ``skip_styles``
    names stylesheets the output does not read."""
    digest = hashlib.sha256()
    digest.update(f"mxpublish {__version__}\0".encode())
    digest.update(f"SOURCE_DATE_EPOCH={os.environ.get('SOURCE_DATE_EPOCH', '')}\0".encode())
    for name in TREE_DIRS:
        digest.update(f"[{name}]".encode())
        _feed(tree[name], digest, skip_styles if name == "styles" else ())
    digest.update(_theme_digest(skip_styles).encode())
    for font in sorted(font_files):
        stat = font.stat()
        digest.update(f"{font}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class CachedOutput:
    """A file an output wrote; ``sha256`` is of the bytes written (hashed in memory)."""

    format: str
    path: Path
    size: int
    pages: int | None
    sha256: str


class BuildCache:
    """The manifest of one output directory: per product, the fingerprint it was built from
    and the digest of each file it wrote (a file edited or deleted since is rebuilt)."""

    def __init__(self, project_root: Path, out_dir: Path):
        key = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
        self.dir = project_root / CACHE_DIRNAME / key
        try:
            entries = json.loads((self.dir / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = {}
        self.entries: dict[str, Any] = entries if isinstance(entries, dict) else {}

    def fresh(self, name: str, key: str, out_dir: Path) -> list[CachedOutput] | None:
        """The outputs of ``name`` if they were built from ``key`` and are still intact."""
        entry = self.entries.get(name)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        found = []
        try:
            for item in entry["files"]:
                path = out_dir / item["name"]
                if not path.is_file() or file_digest(path) != item["sha256"]:
                    return None
                size = path.stat().st_size
                found.append(
                    CachedOutput(item["format"], path, size, item["pages"], item["sha256"])
                )
        except (KeyError, TypeError):
            return None
        return found or None

    def record(self, name: str, key: str, outputs: Iterable[CachedOutput]) -> None:
        self.entries[name] = {
            "key": key,
            "files": [
                {
                    "format": o.format,
                    "name": o.path.name,
                    "sha256": o.sha256,
                    "pages": o.pages,
                }
                for o in outputs
            ],
        }

    def save(self, write: Writer) -> None:
        """Persist through ``write(path, bytes)`` (the project's atomic writer)."""
        data = json.dumps(self.entries, indent=1, sort_keys=True).encode()
        write(self.dir / _MANIFEST, data)

    def page_map(self, key: str) -> list[dict[str, Any]] | None:
        """The print layout's page starts saved under ``key``, if any."""
        try:
            data = json.loads((self.dir / f"pages-{key[:32]}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, list) else None

    def save_page_map(self, key: str, starts: list[dict[str, Any]], write: Writer) -> None:
        if self.dir.is_dir():
            for old in self.dir.glob("pages-*.json"):
                if old.name != f"pages-{key[:32]}.json":
                    old.unlink(missing_ok=True)
        write(self.dir / f"pages-{key[:32]}.json", json.dumps(starts).encode())


class BlobStore:
    """Results of slow, pure steps of a render (the drawn EPUB cover, font subsets), by a
    digest of their inputs: kept in memory for the build, and, unless ``project_root`` is
    None (``--no-cache``), in ``<project>/.mxpublish-cache/blobs/`` so that a later build of
    the same inputs reads them instead of making them again (same bytes either way). At most
    ``limit`` files are kept; the least recently written go first."""

    def __init__(self, project_root: Path | None, write: Writer, limit: int = 64):
        self.dir = project_root / CACHE_DIRNAME / "blobs" if project_root else None
        self.write = write
        self.limit = limit
        self.memory: dict[str, bytes] = {}
        #: Only the build's own process writes: a forked worker's blob is used, not kept, so
        #: an interrupted build never waits on a worker's write (and writes stay in one place).
        self.owner = os.getpid()

    @staticmethod
    def key(*parts: object) -> str:
        """A digest of ``parts`` (their ``repr``) and the mxpublish version."""
        return hashlib.sha256(repr((__version__, parts)).encode()).hexdigest()

    def fetch(self, key: str, make: Callable[[], bytes]) -> bytes:
        """The blob stored under ``key``, or ``make()``'s result, stored."""
        if key in self.memory:
            return self.memory[key]
        if self.dir is not None:
            try:
                data = self.memory[key] = (self.dir / key).read_bytes()
                return data
            except OSError:
                pass
        data = self.memory[key] = make()
        if self.dir is not None and os.getpid() == self.owner:
            try:
                self.write(self.dir / key, data)
                self._trim(self.dir)
            except OSError:
                pass  # a read-only project still builds
        return data

    def _trim(self, folder: Path) -> None:
        blobs = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        for old in blobs[: max(0, len(blobs) - self.limit)]:
            old.unlink(missing_ok=True)


def file_identity(path: Path) -> tuple[str, int, int]:
    """What a blob key records of an input file that ships with a package (a font)."""
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns
