"""Accessibility: Ace by DAISY finds no violation in the briefing's EPUB."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import REPO

pytestmark = pytest.mark.slow
ACE = REPO / "tools" / "a11y"


def _ace_available() -> bool:
    return (ACE / "node_modules" / ".bin" / "ace-puppeteer").exists() and bool(
        shutil.which("chromium")
    )


def test_ace_reports_no_violations(briefing_build: dict[str, Path], tmp_path: Path) -> None:
    if not _ace_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Ace or Chromium missing in CI: tools/a11y/setup.sh should install them")
        pytest.skip("Ace by DAISY not installed (run tools/a11y/setup.sh)")
    proc = subprocess.run(
        [str(ACE / "ace.sh"), str(briefing_build["epub"]), str(tmp_path / "ace")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "ace" / "report.json").read_text())
    failures = [
        (subject["earl:testSubject"]["url"], item["earl:test"]["dct:title"])
        for subject in report["assertions"]
        for item in subject.get("assertions", [])
        if item["earl:result"]["earl:outcome"] == "fail"
    ]
    assert failures == []
    assert report["earl:result"]["earl:outcome"] == "pass"
    metadata = report["a11y-metadata"]
    assert metadata["empty"] == []
    for key in (
        "schema:accessMode",
        "schema:accessibilityFeature",
        "schema:accessibilityHazard",
        "schema:accessibilitySummary",
        "schema:accessModeSufficient",
    ):
        assert key in metadata["present"], key
    assert report["properties"]["hasPageBreaks"] is True
