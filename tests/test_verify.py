"""`mxpublish verify`: independent validators and the text, page and font checks, one report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MakeProject
from mxpublish.build import build
from mxpublish.cli import main
from mxpublish.errors import UsageError
from mxpublish.verify import FAIL, PASS, SKIPPED, verify, verify_outputs
from mxpublish.verify.text import BODY_GAP, EditionText, Run, check_retention, letters

LINKED = {
    "source/01-first.md": "---\ntitle: First\n---\n\nSee [the second part](02-second.md), "
    "*really*.[^n]\n\n[^n]: A note with **strong** words.\n",
    "source/02-second.md": "---\ntitle: Second\n---\n\nThe second part has text.\n",
}
CHECKS = [
    "epubcheck",
    "ace",
    "pdf-conformance:ua1",
    "text-retention:pdf",
    "text-retention:epub",
    "text-retention:html",
    "page-list",
    "fonts",
]


def _edition(text: str) -> EditionText:
    return EditionText(letters(text), ((0, "book.pdf", 1),))


# --- text retention, on small inputs -----------------------------------------------------

RUNS = [
    Run("source/01-a.md", "body", ("The", "treaty", "was", "signed", "in", "1848", "at", "the")),
    Run("source/01-a.md", "note", ("Treaty", "of", "Guadalupe", "Hidalgo")),
]


def test_retention_passes_with_moved_notes_page_furniture_and_hyphenation() -> None:
    edition = _edition(
        "The treaty was signed in 18- Treaty of Guadalupe Hidalgo. Page 1 of 2 | 48 at t-\nhe"
    )
    check = check_retention("pdf", RUNS, edition)
    assert check.verdict == PASS, check.findings


def test_retention_finds_a_dropped_word_and_a_dropped_note() -> None:
    check = check_retention("pdf", RUNS, _edition("The treaty was signed at the"))
    rules = [f.rule for f in check.findings]
    assert check.verdict == FAIL
    assert rules == ["TEXT-DROPPED", "TEXT-NOTE-DROPPED"]
    assert "'in'" in check.findings[0].message and check.findings[0].page == 1


def test_retention_needs_the_words_in_order() -> None:
    check = check_retention("epub", RUNS[:1], _edition("1848 at the The treaty was signed in"))
    assert check.verdict == FAIL


def test_retention_does_not_take_a_far_away_word() -> None:
    far = "x" * (BODY_GAP + 10)
    check = check_retention("pdf", RUNS[:1], _edition(f"The treaty was signed {far} in 1848 at"))
    assert check.verdict == FAIL


# --- the whole report ---------------------------------------------------------------------


@pytest.mark.slow
def test_verify_passes_a_small_project_and_lists_every_check(
    make_project: MakeProject, tmp_path: Path
) -> None:
    report = verify(make_project(LINKED), tmp_path / "out")
    names = [c.name for c in report.checks]
    assert names == CHECKS
    assert report.ok, report.summary()
    verdicts = {c.name: c.verdict for c in report.checks}
    assert verdicts["ace"] in (PASS, SKIPPED)
    assert all(v == PASS for n, v in verdicts.items() if n != "ace")
    data = report.as_dict()
    assert data["verdict"] == "pass" and len(data["checks"]) == len(CHECKS)
    for entry in data["checks"]:
        assert {"check", "tool", "version", "verdict", "findings"} <= set(entry)
    assert report.summary()[-1].endswith("conformant")


def test_verify_fails_with_the_rule_id_on_a_pdf_broken_on_purpose(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the fix that keeps one link annotation per link, the contents page breaks
    PDF/UA-1 as WeasyPrint left it: verify says so, with page's rule id and the page."""
    import mxpublish.render.conformance as pdf

    root = make_project(LINKED)
    monkeypatch.setattr(pdf, "_one_annotation_per_link", lambda document: None)
    paths = {"pdf": build(root, ["pdf"], tmp_path / "broken").outputs[0].path}
    report = verify_outputs(root, paths)
    conformance = next(c for c in report.checks if c.name == "pdf-conformance:ua1")
    assert conformance.verdict == FAIL and not report.ok
    assert {f.rule for f in conformance.findings} == {"PDFUA1-LINK-LINK-TAG-001"}
    assert conformance.findings[0].page == 2


def test_verify_fails_on_compressed_xmp_in_a_pdfa(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from weasyprint.pdf.metadata import DocumentMetadata

    import mxpublish.render.conformance as pdf

    root = make_project({})
    monkeypatch.setattr(pdf, "_xmp_class", lambda: DocumentMetadata)
    path = build(root, ["pdf"], tmp_path / "a", pdf_variant="pdf/a-3u").outputs[0].path
    report = verify_outputs(root, {"pdf": path})
    conformance = next(c for c in report.checks if c.name == "pdf-conformance:3u")
    assert conformance.verdict == FAIL
    assert "PDFA3U-METADATA-FILTER-001" in {f.rule for f in conformance.findings}


def test_plain_pdf_declares_nothing_so_conformance_is_skipped(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project({})
    path = build(root, ["pdf"], tmp_path, pdf_variant="none").outputs[0].path
    report = verify_outputs(root, {"pdf": path})
    conformance = next(c for c in report.checks if c.name == "pdf-conformance")
    assert conformance.verdict == SKIPPED and report.ok


def test_missing_ace_is_skipped_not_passed(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mxpublish.verify import validators

    monkeypatch.setattr(validators, "ace_command", lambda: None)
    root = make_project({})
    path = build(root, ["epub"], tmp_path).outputs[0].path
    ace = validators.check_ace(path)
    assert ace.verdict == SKIPPED and "make a11y-tools" in ace.detail


def test_missing_validator_is_a_clear_usage_error(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "page", None)
    with pytest.raises(UsageError) as exc:
        verify(make_project({}), tmp_path)
    assert "mxpublish[verify]" in (exc.value.diagnostics[0].hint or "")
    result = CliRunner().invoke(main, ["build", str(make_project({})), "--verify"])
    assert result.exit_code == 2 and "page-validation" in result.output


def test_build_verify_prints_the_summary_and_exits_by_the_verdict(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project({})
    command = ["build", str(root), "-f", "pdf", "-o", str(tmp_path), "--verify"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "PASS    pdf-conformance:ua1" in result.output
    assert "epubcheck" not in result.output  # only what was built is verified
    from mxpublish.verify import text

    monkeypatch.setattr(text, "_find_word", lambda *args: -1)  # as if the PDF lost its text
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1 and "FAIL    text-retention:pdf" in result.output


@pytest.mark.slow
def test_verify_json_on_the_briefing(briefing_build: dict[str, Path]) -> None:
    """The gate CI runs: every check on the briefing, all passing, as one JSON report."""
    root, out = briefing_build["root"], briefing_build["pdf"].parent
    result = CliRunner().invoke(main, ["verify", str(root), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [c["check"] for c in report["checks"]] == CHECKS
    verdicts = {c["check"]: c["verdict"] for c in report["checks"]}
    if os.environ.get("CI") == "true":
        assert verdicts["ace"] == "pass"  # tools/a11y/setup.sh installs it in CI
    assert all(v == "pass" for n, v in verdicts.items() if n != "ace" or v != "skipped")
    conformance = next(c for c in report["checks"] if c["check"] == "pdf-conformance:ua1")
    assert conformance["tool"] == "page" and conformance["detail"].startswith(
        "PDF/UA-1: 0 failed rules"
    )
    assert report["outputs"]["pdf"] == str(briefing_build["pdf"])


def test_a_stream_whose_data_ends_with_cr_has_one_reading() -> None:
    """CR LF before endstream after data that ends in CR: the /Length stays exact whichever
    end-of-line a validator takes (found by page in the 200-section book)."""
    import pydyf

    from mxpublish.render.conformance import _unambiguous_stream_ends

    stream = pydyf.Stream([b"ab\r"], compress=False)
    plain = pydyf.Stream([b"ab"], compress=False)
    with _unambiguous_stream_ends():
        assert stream.data.endswith(b"stream\nab\r\r\nendstream")
        assert plain.data.endswith(b"stream\nab\nendstream")
    assert stream.data.endswith(b"stream\nab\r\nendstream")  # pydyf as it was


def test_a_long_book_is_not_refused_by_the_validators_guard(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`page` guards against hostile PDFs with a limit of form XObject invocations that a
    600-page book of ours passes (it stopped with an uncaught error); verify raises the limit
    for its own output and turns a guard still hit into a failed check, not a crash."""
    import page

    from mxpublish.verify import validators

    root = make_project({})
    pdf = build(root, ["pdf"], tmp_path / "out").outputs[0].path
    real = page.validate_pdf
    seen: list[int] = []

    def guarded(path: Path, *, profile: str, limits: page.SafetyLimits) -> object:
        seen.append(limits.max_form_invocations)
        if limits.max_form_invocations < 1_000_000:
            raise page.SafetyLimitError("Form XObject invocations exceed the configured limit")
        return real(path, profile=profile, limits=limits)

    monkeypatch.setattr(page, "validate_pdf", guarded)
    [check] = validators.check_pdf_conformance(pdf)
    assert check.verdict == PASS and seen == [validators.MAX_FORM_INVOCATIONS]
    monkeypatch.setattr(validators, "MAX_FORM_INVOCATIONS", 10_000)  # page's own default
    [check] = validators.check_pdf_conformance(pdf)
    assert check.verdict == FAIL and "exceed" in check.detail, check
