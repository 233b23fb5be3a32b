"""Print and archival options: paper, marks, booklet, PDF variants, cover, checksums, dates."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from conftest import MINIMAL_CONFIG, MakeProject
from helpers import epub_xml, run_epubcheck
from mxpublish.build import build
from mxpublish.cli import main
from mxpublish.errors import SourceError, UsageError
from mxpublish.render.impose import booklet_order

OPF = "{http://www.idpf.org/2007/opf}"
SECTIONS = {
    f"source/0{n}-part-{n}.md": f"---\ntitle: Part {n}\n---\n\n" + ("Words of text. " * 300)
    for n in range(1, 4)
}


def test_booklet_order_pads_to_four_and_nests_the_sheets() -> None:
    assert booklet_order(7) == [(None, 0), (1, 6), (5, 2), (3, 4)]
    assert booklet_order(4) == [(3, 0), (1, 2)]
    assert booklet_order(1) == [(None, 0), (None, None)]
    for pages in range(1, 30):
        order = [i for side in booklet_order(pages) for i in side if i is not None]
        assert sorted(order) == list(range(pages))


def test_booklet_sheets_are_landscape_and_in_booklet_order(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project(SECTIONS)
    result = build(root, ["pdf"], tmp_path, booklet=True)
    paths = {o.format: o.path for o in result.outputs}
    pages = PdfReader(paths["pdf"]).pages
    sheets = PdfReader(paths["booklet"]).pages
    assert len(sheets) == -(-len(pages) // 4) * 2
    for sheet in sheets:
        assert float(sheet.mediabox.width) == pytest.approx(792)
        assert float(sheet.mediabox.height) == pytest.approx(612)
    assert "A Test Publication" in sheets[0].extract_text()  # page 1 on the first side
    assert "Contents" in sheets[1].extract_text()  # page 2 on its back


def test_print_marks_add_bleed_around_the_trim(make_project: MakeProject, tmp_path: Path) -> None:
    result = build(make_project({}), ["pdf"], tmp_path, print_marks=True)
    page = PdfReader(result.outputs[0].path).pages[0]
    assert [float(v) for v in page.trimbox] == [0, 0, 612, 792]
    assert [float(v) for v in page.mediabox] == [-18, -18, 630, 810]
    bleed = [float(v) for v in page.bleedbox]
    assert bleed[0] < 0 and bleed[1] < 0 and bleed[2] > 612 and bleed[3] > 792


@pytest.mark.parametrize(
    ("yaml_paper", "cli_paper", "size"),
    [
        ("a4", None, (595.3, 841.9)),
        ("6in 9in", None, (432, 648)),
        ("letter", "148mm x 210mm", (419.5, 595.3)),
    ],
)
def test_paper_sizes(
    make_project: MakeProject,
    tmp_path: Path,
    yaml_paper: str,
    cli_paper: str | None,
    size: tuple[float, float],
) -> None:
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + f"paper: {yaml_paper}\n"})
    result = build(root, ["pdf"], tmp_path, paper=cli_paper)
    box = PdfReader(result.outputs[0].path).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.2)


def test_bad_paper_is_a_clear_error(make_project: MakeProject, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not letter, a4 or two lengths"):
        build(make_project({}), ["pdf"], tmp_path, paper="A5")
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + "paper: huge\n"})
    with pytest.raises(SourceError) as exc:
        build(root, ["pdf"], tmp_path)
    assert exc.value.diagnostics[0].line == 6


def test_pdf_variants(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({})
    archival = build(root, ["pdf"], tmp_path / "a", pdf_variant="pdf/a-3u").outputs[0].path
    xmp = PdfReader(archival).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="U"' in xmp
    plain = build(root, ["pdf"], tmp_path / "p", pdf_variant="none").outputs[0].path
    assert "/StructTreeRoot" not in PdfReader(plain).trailer["/Root"]


def test_sha256sums_for_the_full_set_only(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({})
    result = build(root, out_dir=tmp_path / "all")
    sums = (tmp_path / "all" / "SHA256SUMS").read_text().splitlines()
    expected = [
        f"{hashlib.sha256(o.path.read_bytes()).hexdigest()}  {o.path.name}"
        for o in sorted(result.outputs, key=lambda o: o.path.name)
        if o.format in ("pdf", "epub", "html")
    ]
    assert sums == expected
    build(root, ["html"], tmp_path / "one")
    assert not (tmp_path / "one" / "SHA256SUMS").exists()


def test_source_date_epoch_sets_every_timestamp(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_project({})
    first = build(root, ["pdf", "epub"], tmp_path / "1").outputs
    second = build(root, ["pdf", "epub"], tmp_path / "2").outputs
    for a, b in zip(first, second, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()
    pdf = PdfReader(first[0].path)
    assert pdf.metadata is not None and pdf.metadata["/ModDate"].startswith("D:20231114221320")
    opf = epub_xml(first[1].path, "EPUB/content.opf")
    modified = [m.text for m in opf.iter(f"{OPF}meta") if m.get("property") == "dcterms:modified"]
    assert modified == ["2023-11-14T22:13:20Z"]


def test_generated_cover_is_the_epub_cover_image(make_project: MakeProject, tmp_path: Path) -> None:
    epub = build(make_project({}), ["epub"], tmp_path).outputs[0].path
    opf = epub_xml(epub, "EPUB/content.opf")
    covers = [i for i in opf.iter(f"{OPF}item") if i.get("properties") == "cover-image"]
    assert [(c.get("href"), c.get("media-type")) for c in covers] == [
        ("images/cover.png", "image/png")
    ]
    first = opf.find(f"{OPF}spine/{OPF}itemref")
    assert first is not None
    manifest = {i.get("id"): i.get("href") for i in opf.iter(f"{OPF}item")}
    assert manifest[first.get("idref")] == "text/cover.xhtml"
    with zipfile.ZipFile(epub) as archive:
        image = Image.open(io.BytesIO(archive.read("EPUB/images/cover.png")))
        cover_page = archive.read("EPUB/text/cover.xhtml").decode()
    assert image.size == (1600, 2400)
    assert 'alt="Cover: A Test Publication. Test Office"' in cover_page
    report = run_epubcheck(epub)
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


def test_cover_named_in_publication_yaml(make_project: MakeProject, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 90), (200, 0, 0)).save(buffer, format="JPEG")
    root = make_project(
        {
            "source/publication.yaml": MINIMAL_CONFIG + "cover: images/front.jpg\n",
            "source/images/front.jpg": buffer.getvalue(),
        }
    )
    epub = build(root, ["epub"], tmp_path).outputs[0].path
    with zipfile.ZipFile(epub) as archive:
        assert archive.read("EPUB/images/cover.jpg") == buffer.getvalue()
    missing = make_project({"source/publication.yaml": MINIMAL_CONFIG + "cover: nope.png\n"})
    with pytest.raises(SourceError, match=re.escape("cover image 'nope.png' not found")):
        build(missing, ["epub"], tmp_path)


def test_cli_print_options(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({})
    result = CliRunner().invoke(
        main,
        ["build", str(root), "-f", "pdf", "--paper", "a4", "--booklet", "-o", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(tmp_path / "a-test-publication.pdf"),
        str(tmp_path / "a-test-publication-booklet.pdf"),
    ]
    box = PdfReader(tmp_path / "a-test-publication.pdf").pages[0].mediabox
    assert float(box.width) == pytest.approx(595.3, abs=0.2)
