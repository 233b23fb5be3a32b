"""`init --template briefing|book` projects build as they are, and a project's own title page
(the README's worked example) replaces the theme's in every edition."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from helpers import REPO, epub_xml, letters, pdf_body_text, run_epubcheck
from mxpublish.authoring.scaffold import TEMPLATES
from mxpublish.build import build
from mxpublish.check import check_project
from mxpublish.cli import main

pytestmark = pytest.mark.slow
README = REPO / "README.md"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Each template initialised and built in every format, once for this module."""
    runner = CliRunner()
    projects: dict[str, dict[str, Path]] = {}
    for template in TEMPLATES:
        root = tmp_path_factory.mktemp(template) / "project"
        result = runner.invoke(
            main, ["init", str(root), "--template", template, "--title", f"A {template}"]
        )
        assert result.exit_code == 0, result.output
        outcome = build(root)
        assert not outcome.diagnostics, [d.format() for d in outcome.diagnostics]
        projects[template] = {o.format: o.path for o in outcome.outputs} | {"root": root}
    return projects


def _readme_block(name: str) -> str:
    """The README's fenced block that follows a line naming ``name``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(re.escape(name) + r"[^\n]*\n+```[a-z0-9]*\n(.*?)```", text, re.DOTALL)
    assert match, f"README has no block for {name}"
    return match.group(1)


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_templates_are_clean_under_every_rule(
    template: str, built: dict[str, dict[str, Path]]
) -> None:
    assert check_project(built[template]["root"]) == []


def _fonts(pdf: Path) -> set[str]:
    reader = PdfReader(pdf)
    return {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_template_pdfs_use_only_the_bundled_fonts(
    template: str, built: dict[str, dict[str, Path]]
) -> None:
    fonts = _fonts(built[template]["pdf"])
    assert fonts and all("Source" in name for name in fonts), fonts


def test_book_pdf_starts_each_chapter_on_a_new_page(built: dict[str, dict[str, Path]]) -> None:
    pages = [letters(text) for text in pdf_body_text(built["book"]["pdf"])]
    titles = ["preface", "thefirstchapter", "thesecondchapter"]
    starts = [[i for i, text in enumerate(pages) if text.startswith(t)] for t in titles]
    assert all(len(found) == 1 for found in starts), pages
    assert [found[0] for found in starts] == sorted({found[0] for found in starts})


def test_book_epub_passes_epubcheck(built: dict[str, dict[str, Path]]) -> None:
    report = run_epubcheck(built["book"]["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages


def test_briefing_template_builds_every_format(built: dict[str, dict[str, Path]]) -> None:
    outputs = built["briefing"]
    assert {name for name in outputs if name != "root"} == {"pdf", "epub", "html", "checksums"}
    assert PdfReader(outputs["pdf"]).metadata.title == "A briefing"  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def house_style(
    built: dict[str, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The briefing template with the README's title page override, built in every format."""
    root = tmp_path_factory.mktemp("house") / "project"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--title", "House Style Brief"]).exit_code == 0
    template = root / "templates" / "_titlepage.html.j2"
    template.parent.mkdir()
    template.write_text(_readme_block("templates/_titlepage.html.j2"), encoding="utf-8")
    with (root / "styles" / "custom.css").open("a", encoding="utf-8") as css:
        css.write(_readme_block("styles/custom.css"))
    outcome = build(root)
    assert not outcome.diagnostics, [d.format() for d in outcome.diagnostics]
    return {o.format: o.path for o in outcome.outputs}


def test_own_title_page_in_print(house_style: dict[str, Path]) -> None:
    reader = PdfReader(house_style["pdf"])
    first = letters(reader.pages[0].extract_text())
    assert first.startswith("yourofficeororganisationhousestylebrief")
    assert "summary" not in first  # the theme's summary box is gone with its template
    assert "contents" in letters(reader.pages[1].extract_text())
    fonts = _fonts(house_style["pdf"])
    assert fonts and all("Source" in name for name in fonts), fonts


def test_own_title_page_in_html_and_epub(house_style: dict[str, Path]) -> None:
    html = house_style["html"].read_text(encoding="utf-8")
    assert '<p class="house-band">Your Office or Organisation</p>' in html
    assert ".house-band" in html  # custom.css is part of every edition
    titlepage = epub_xml(house_style["epub"], "EPUB/text/titlepage.xhtml")
    band = [e for e in titlepage.iter() if e.get("class") == "house-band"]
    assert band and band[0].text == "Your Office or Organisation"
    with zipfile.ZipFile(house_style["epub"]) as archive:
        assert b".house-band" in archive.read("EPUB/styles/epub.css")
