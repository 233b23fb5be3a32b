"""EPUB packaging details that validators and reproducibility depend on."""

from __future__ import annotations

import io
import zipfile

from mxpublish.render.epub import normalize_zip


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_normalize_zip_puts_mimetype_first_stored_with_fixed_times() -> None:
    data = normalize_zip(
        _zip([("b.txt", b"b"), ("mimetype", b"application/epub+zip"), ("a.txt", b"a")])
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["mimetype", "b.txt", "a.txt"]
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.read("a.txt") == b"a"
    assert data[30:38] == b"mimetype"  # the local header of the first entry


def test_normalize_zip_is_deterministic() -> None:
    """Two archives of the same entries that differ in entry times, order of writing and
    compression normalise to the same bytes."""
    entries = [("mimetype", b"application/epub+zip"), ("x", b"1" * 1000), ("y", b"2")]
    first = io.BytesIO()
    with zipfile.ZipFile(first, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, (2001, 2, 3, 4, 5, 6)), data)
    second = io.BytesIO()
    with zipfile.ZipFile(second, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, (2024, 12, 31, 23, 59, 58)), data)
    assert first.getvalue() != second.getvalue()
    assert normalize_zip(first.getvalue()) == normalize_zip(second.getvalue())
