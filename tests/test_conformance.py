"""PDF conformance proven by an independent validator: every variant of the briefing, the
constructs and apparatus projects and a 200-section book passes `page` with no failed rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import page
import pikepdf
import pytest

from helpers import REPO
from mxpublish.build import build
from mxpublish.editions import PDF_VARIANTS, VARIANT_PROFILES

pytestmark = pytest.mark.slow
VARIANTS = [v for v in PDF_VARIANTS if v != "none"]
CONSTRUCTS = REPO / "tests" / "projects" / "constructs"
APPARATUS = REPO / "tests" / "projects" / "apparatus"


def failed_rules(pdf: Path, profile: str) -> list[str]:
    report = page.validate_pdf(pdf, profile=profile)
    assert report.rules.total > 0
    return sorted({f"{f.rule_id}: {f.message}" for f in report.failures})


def assert_conforms(root: Path, out: Path) -> None:
    """Build the PDF of ``root`` in every variant; each passes every profile it claims."""
    for variant in VARIANTS:
        pdf = build(root, ["pdf"], out / variant.replace("/", "-"), pdf_variant=variant)
        path = pdf.outputs[0].path
        for profile in VARIANT_PROFILES[variant]:
            assert failed_rules(path, profile) == [], (variant, profile)


@pytest.fixture(scope="module")
def briefing_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("briefing-variants")
    for name in ("source", "styles"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, root / name)
    return root


def test_every_variant_of_the_briefing_conforms(
    briefing_root: Path, tmp_path: Path, layout_once: None
) -> None:
    assert_conforms(briefing_root, tmp_path)


def test_every_variant_of_the_constructs_project_conforms(
    tmp_path: Path, layout_once: None
) -> None:
    root = tmp_path / "constructs"
    shutil.copytree(CONSTRUCTS, root, ignore=shutil.ignore_patterns(".mxpublish-cache"))
    assert_conforms(root, tmp_path / "out")


def test_list_items_hold_only_a_label_and_a_body(tmp_path: Path) -> None:
    """PDF/UA-1: an LI holds Lbl and LBody, also for a loose item (two paragraphs) and one
    holding a code block, which WeasyPrint tags straight under the LI."""
    root = tmp_path / "constructs"
    shutil.copytree(CONSTRUCTS, root, ignore=shutil.ignore_patterns(".mxpublish-cache"))
    path = build(root, ["pdf"], tmp_path / "out").outputs[0].path
    with pikepdf.open(path) as pdf:
        elements = _elements(pdf.Root.StructTreeRoot)
    # (An item whose nested list runs onto the next page leaves an empty LI there.)
    items = [kids for tag, kids in elements if tag == "/LI" and kids]
    assert len(items) >= 20
    assert all(set(kids) <= {"/Lbl", "/LBody"} and "/LBody" in kids for kids in items), items
    bodies = [kids for tag, kids in elements if tag == "/LBody"]
    assert ["/P", "/P"] in bodies  # the loose item's two paragraphs, in one body
    assert ["/P", "/NonStruct"] in bodies  # a paragraph and the code block under it
    assert failed_rules(path, "ua1") == []


def _elements(node: pikepdf.Object) -> list[tuple[str, list[str]]]:
    """(tag, tags of its element kids) of every structure element under ``node``."""
    found: list[tuple[str, list[str]]] = []
    stack = [node]
    while stack:
        element = stack.pop()
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        elements = [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        if "/S" in element:
            found.append((str(element.S), [str(k.S) for k in elements]))
        stack.extend(elements)
    return found


def test_every_variant_of_the_apparatus_project_conforms(tmp_path: Path, layout_once: None) -> None:
    """Citations, notes-style footnotes, SVG math with alt text and cross-references."""
    root = tmp_path / "apparatus"
    shutil.copytree(APPARATUS, root, ignore=shutil.ignore_patterns(".mxpublish-cache"))
    assert_conforms(root, tmp_path / "out")


def test_each_variant_declares_what_it_claims(
    briefing_root: Path, tmp_path: Path, layout_once: None
) -> None:
    """The XMP names exactly the claimed conformances, so a validator checks the right ones."""
    from mxpublish.verify.validators import declared_profiles

    for variant in PDF_VARIANTS:
        path = (
            build(briefing_root, ["pdf"], tmp_path / variant.replace("/", "-"), pdf_variant=variant)
            .outputs[0]
            .path
        )
        assert declared_profiles(path) == list(VARIANT_PROFILES[variant]), variant
