"""WCAG 2.2 in the EPUB: the success criterion new in 2.2 that a tool can check on a book,
2.5.8 Target Size (Minimum), checked with axe-core in Chromium on every document of the
constructs project's EPUB (links in text, note calls and back links, the contents list).

Ace by DAISY runs axe-core with its WCAG 2.2 rule (target-size) switched off, so this test
switches it on. The other criteria new in 2.2 do not apply to a book without forms, help,
sign-in, dragging or content fixed over the text (2.4.11, 2.5.7, 3.2.6, 3.3.7, 3.3.8).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from helpers import REPO
from mxpublish.build import build

pytestmark = pytest.mark.slow
AXE = REPO / "tools" / "a11y" / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.js"
CONSTRUCTS = REPO / "tests" / "projects" / "constructs"
VIEWPORTS = [(600, 800), (1024, 768)]  # an e-reader and a tablet held sideways


def _tools() -> str:
    chromium = shutil.which("chromium")
    if not (chromium and AXE.exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("axe-core or Chromium missing in CI: tools/a11y/setup.sh installs them")
        pytest.skip("axe-core (make a11y-tools) or Chromium not installed")
    return chromium


def test_epub_targets_meet_wcag_22_target_size(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = _tools()
    root = tmp_path / "constructs"
    shutil.copytree(CONSTRUCTS, root, ignore=shutil.ignore_patterns(".mxpublish-cache"))
    epub = build(root, ["epub"], tmp_path / "out").outputs[0].path
    unpacked = tmp_path / "epub"
    with zipfile.ZipFile(epub) as archive:
        archive.extractall(unpacked)
    documents = sorted((unpacked / "EPUB").rglob("*.xhtml"))
    assert any(d.name == "nav.xhtml" for d in documents) and len(documents) > 5
    axe = AXE.read_text(encoding="utf-8")
    problems: list[str] = []
    checked = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for width, height in VIEWPORTS:
                page = browser.new_page(viewport={"width": width, "height": height})
                for document in documents:
                    page.goto(document.as_uri())
                    page.add_script_tag(content=axe)
                    result = page.evaluate(
                        """async () => {
                            const r = await axe.run(document, {
                                runOnly: {type: 'rule', values: ['target-size']},
                                rules: {'target-size': {enabled: true}},
                            });
                            return {
                                violations: r.violations.flatMap(v => v.nodes.map(
                                    n => v.id + ' ' + n.html.slice(0, 80))),
                                checked: r.passes.reduce((s, v) => s + v.nodes.length, 0)
                                    + r.violations.reduce((s, v) => s + v.nodes.length, 0),
                            };
                        }"""
                    )
                    checked += result["checked"]
                    problems += [f"{width}px {document.name}: {v}" for v in result["violations"]]
                page.close()
        finally:
            browser.close()
    assert checked > 0  # axe found targets to measure: the rule really ran
    assert problems == []
