"""``mxpublish verify``: the editions checked by independent validators, one report.

Builds the project (outputs whose inputs did not change are taken as built), then runs
EPUBCheck and Ace by DAISY on the EPUB, ``page`` on the PDF against the conformance it declares,
the text-retention comparison of each edition against the source, the EPUB page list against
the PDF's pages, and the PDF's fonts (embedded, the publication's own, a glyph for every
character). The result is data (VerifyReport); the CLI prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mxpublish.build import build, load
from mxpublish.editions import FORMATS
from mxpublish.verify.report import FAIL, PASS, SKIPPED, Check, Finding, VerifyReport

__all__ = [
    "FAIL",
    "PASS",
    "SKIPPED",
    "Check",
    "Finding",
    "VerifyReport",
    "verify",
    "verify_outputs",
]


def verify(
    project_dir: Path | str,
    out_dir: Path | str | None = None,
    *,
    pdf_variant: str = "pdf/ua-1",
    paper: str | None = None,
    jobs: int = 1,
    on_check: Callable[[Check], None] | None = None,
) -> VerifyReport:
    """Build every format of the project (cached outputs are reused) and verify them.

    Raises UsageError when a required validator (the ``verify`` extra, Java) is missing, and
    whatever ``build`` raises for a project that does not build.
    """
    from mxpublish.verify.validators import require_tools

    require_tools()
    result = build(project_dir, FORMATS, out_dir, pdf_variant=pdf_variant, paper=paper, jobs=jobs)
    paths = {o.format: o.path for o in result.outputs if o.format in FORMATS}
    return verify_outputs(project_dir, paths, on_check=on_check)


def verify_outputs(
    project_dir: Path | str,
    paths: dict[str, Path],
    *,
    on_check: Callable[[Check], None] | None = None,
) -> VerifyReport:
    """Verify already built editions (``{"pdf": path, "epub": path, "html": path}``, any
    subset) of the project at ``project_dir``."""
    from mxpublish.verify import pages, text, validators

    project, publication = load(project_dir)
    runs = text.source_runs(publication)
    checks: list[Check] = []

    def add(*new: Check) -> None:
        for check in new:
            checks.append(check)
            if on_check is not None:
                on_check(check)

    pdf, epub = paths.get("pdf"), paths.get("epub")
    if epub is not None:
        add(validators.check_epubcheck(epub))
        add(validators.check_ace(epub))
    if pdf is not None:
        add(*validators.check_pdf_conformance(pdf))
    readers = {"pdf": text.pdf_text, "epub": text.epub_text, "html": text.html_text}
    for name, path in paths.items():
        if name in readers:
            add(text.check_retention(name, runs, readers[name](path)))
    if pdf is not None and epub is not None:
        add(pages.check_page_list(epub, pdf))
    if pdf is not None:
        source_text = " ".join(" ".join(run.words) for run in runs)
        add(pages.check_fonts(pdf, source_text, project.styles_dir))
    return VerifyReport(
        str(project.root), {name: str(path) for name, path in paths.items()}, tuple(checks)
    )
