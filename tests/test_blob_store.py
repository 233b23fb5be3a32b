"""The blob store: the EPUB's drawn cover and font subsets are kept between builds, and an
EPUB made from them has the same bytes as one made without."""

from __future__ import annotations

from pathlib import Path

import pytest

import mxpublish.render.cover
from conftest import MakeProject
from mxpublish.build import build
from mxpublish.cache import CACHE_DIRNAME, BlobStore
from mxpublish.project import atomic_write


def _blobs(project: Path) -> list[Path]:
    folder = project / CACHE_DIRNAME / "blobs"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_second_epub_build_takes_the_drawn_cover_and_has_the_same_bytes(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project({})
    cold = build(project, ["epub"], tmp_path / "cold", use_cache=False).outputs[0]
    assert _blobs(project) == []  # --no-cache keeps nothing
    build(project, ["epub"], tmp_path / "warm")
    assert len(_blobs(project)) > 1  # the cover and the font subsets
    (tmp_path / "warm" / cold.path.name).unlink()

    def not_again(*args: object) -> bytes:
        raise AssertionError("the cover was drawn again")

    monkeypatch.setattr(mxpublish.render.cover, "cover_png", not_again)
    warm = build(project, ["epub"], tmp_path / "warm").outputs[0]
    assert warm.path.read_bytes() == cold.path.read_bytes()


def test_the_store_keeps_at_most_its_limit(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, atomic_write, limit=3)
    for n in range(5):
        assert store.fetch(store.key("blob", n), lambda n=n: bytes([n])) == bytes([n])
    assert len(_blobs(tmp_path)) == 3
    again = BlobStore(tmp_path, atomic_write, limit=3)  # a later build
    assert again.fetch(again.key("blob", 4), lambda: b"made again") == bytes([4])
    assert again.fetch(again.key("blob", 0), lambda: b"made again") == b"made again"
