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
    entries = [("mimetype", b"application/epub+zip"), ("x", b"1" * 1000)]
    assert normalize_zip(_zip(entries)) == normalize_zip(_zip(entries))
