"""Checksums, the manifest's digests and a deterministic zip of a bundle folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from mxpublish.cache import CACHE_DIRNAME


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(folder: Path) -> list[Path]:
    """Every regular file in ``folder``, sorted by POSIX relative path (the order of the sums
    file and of the zip, so that neither depends on the file system)."""
    found = [p for p in folder.rglob("*") if p.is_file()]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def checksums(folder: Path, files: Iterable[Path]) -> str:
    """``sha256sum``'s format, relative paths: ``sha256sum -c SHA256SUMS`` run in ``folder``
    checks every file."""
    return "".join(f"{sha256_file(p)}  {p.relative_to(folder).as_posix()}\n" for p in files)


def source_digest(project_root: Path) -> str:
    """One digest of what the editions were made from: every file under ``source/``,
    ``styles/`` and ``templates/``, by relative path and content (never by time)."""
    digest = hashlib.sha256()
    for name in ("source", "styles", "templates"):
        root = project_root / name
        if not root.is_dir():
            continue
        for path in files_under(root):
            if CACHE_DIRNAME in path.parts:
                continue
            digest.update(path.relative_to(project_root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


#: The earliest time a zip entry can record.
_ZIP_EPOCH = dt.datetime(1980, 1, 1)


def deterministic_zip(folder: Path, prefix: str, when: dt.datetime) -> bytes:
    """The files of ``folder`` under ``prefix/`` in a zip whose bytes depend on their contents
    only: sorted entries, one fixed time (``when``), fixed permissions, no extra fields."""
    stamp = max(when, _ZIP_EPOCH).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in files_under(folder):
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(folder).as_posix()}", stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, whatever the machine: the attributes above are Unix
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return out.getvalue()
