"""Incremental and parallel builds: unchanged outputs are kept, changed inputs always seen."""

from __future__ import annotations

from pathlib import Path

import pytest

import mxpublish.render.pdf
from conftest import MINIMAL_CONFIG, MakeProject
from mxpublish.build import build
from mxpublish.errors import SourceError


def _fresh(result) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {o.format: o.cached for o in result.outputs if o.format != "checksums"}


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    return make_project({"styles/custom.css": "/* v1 */\n"})


def test_a_second_build_keeps_every_output(project: Path, tmp_path: Path) -> None:
    first = build(project, out_dir=tmp_path)
    stamps = {o.path: o.path.stat().st_mtime_ns for o in first.outputs}
    second = build(project, out_dir=tmp_path)
    assert _fresh(first) == {"pdf": False, "epub": False, "html": False}
    assert _fresh(second) == {"pdf": True, "epub": True, "html": True}
    assert {o.path: o.path.stat().st_mtime_ns for o in second.outputs} == stamps
    assert [(o.format, o.size, o.pages) for o in second.outputs] == [
        (o.format, o.size, o.pages) for o in first.outputs
    ]


def test_a_changed_section_rebuilds_every_format(project: Path, tmp_path: Path) -> None:
    first = build(project, out_dir=tmp_path)
    before = {o.format: o.path.read_bytes() for o in first.outputs}
    (project / "source" / "01-first.md").write_text("---\ntitle: First\n---\n\nNew text.\n")
    second = build(project, out_dir=tmp_path)
    assert _fresh(second) == {"pdf": False, "epub": False, "html": False}
    for output in second.outputs:
        assert output.path.read_bytes() != before[output.format], output.format


def test_touching_without_changing_rebuilds_nothing(project: Path, tmp_path: Path) -> None:
    build(project, out_dir=tmp_path)
    section = project / "source" / "01-first.md"
    section.write_bytes(section.read_bytes())
    assert set(_fresh(build(project, out_dir=tmp_path)).values()) == {True}


def test_a_stylesheet_rebuilds_only_the_formats_that_read_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project, out_dir=tmp_path)
    (project / "styles" / "web.css").write_text("body { color: black; }\n")
    assert _fresh(build(project, out_dir=tmp_path)) == {"pdf": True, "epub": True, "html": False}

    # The EPUB's page list comes from the cached print layout: no new layout is made.
    def no_layout(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the print edition was laid out again")

    monkeypatch.setattr(mxpublish.render.pdf, "render_pdf", no_layout)
    (project / "styles" / "epub.css").write_text("p { margin: 0; }\n")
    assert _fresh(build(project, out_dir=tmp_path)) == {"pdf": True, "epub": False, "html": True}


def test_print_styles_rebuild_the_epub_too(project: Path, tmp_path: Path) -> None:
    build(project, out_dir=tmp_path)
    (project / "styles" / "print.css").write_text("@page { margin: 2in; }\n")
    assert _fresh(build(project, out_dir=tmp_path)) == {"pdf": False, "epub": False, "html": True}


def test_an_edited_or_deleted_output_is_rebuilt(project: Path, tmp_path: Path) -> None:
    first = build(project, out_dir=tmp_path)
    paths = {o.format: o.path for o in first.outputs}
    original = paths["html"].read_bytes()
    paths["html"].write_text("tampered")
    paths["pdf"].unlink()
    second = build(project, out_dir=tmp_path)
    assert _fresh(second) == {"pdf": False, "epub": True, "html": False}
    assert paths["html"].read_bytes() == original and paths["pdf"].is_file()


def test_options_environment_and_no_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project, out_dir=tmp_path)
    assert _fresh(build(project, out_dir=tmp_path, paper="a4")) == {
        "pdf": False,
        "epub": False,
        "html": False,
    }
    assert _fresh(build(project, ["pdf"], tmp_path, paper="a4", pdf_variant="none")) == {
        "pdf": False
    }
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _fresh(build(project, ["html"], tmp_path, paper="a4")) == {"html": False}
    assert _fresh(build(project, ["html"], tmp_path, paper="a4")) == {"html": True}
    assert _fresh(build(project, ["html"], tmp_path, paper="a4", use_cache=False)) == {
        "html": False
    }


def test_parallel_build_gives_the_same_bytes(project: Path, tmp_path: Path) -> None:
    serial = build(project, out_dir=tmp_path / "serial", jobs=1)
    parallel = build(project, out_dir=tmp_path / "parallel", jobs=3)
    assert [o.format for o in parallel.outputs] == [o.format for o in serial.outputs]
    for a, b in zip(serial.outputs, parallel.outputs, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes(), a.format


def test_an_error_in_a_worker_arrives_whole(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + "cover: nope.png\n"})
    with pytest.raises(SourceError) as exc:
        build(root, out_dir=tmp_path, jobs=2)
    [diagnostic] = exc.value.diagnostics
    assert (diagnostic.code, diagnostic.file) == ("COVER", "source/publication.yaml")
    assert not (tmp_path / "a-test-publication.epub").exists()


def test_no_cache_lays_out_the_print_edition_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project, out_dir=tmp_path)
    calls: list[int] = []
    real = mxpublish.render.pdf.render_pdf

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mxpublish.render.pdf, "render_pdf", counting)
    build(project, ["epub"], tmp_path, use_cache=False)
    assert calls == [1]
