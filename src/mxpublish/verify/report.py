"""The verification report: one entry per check, as JSON and as a short human summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, SKIPPED = "pass", "fail", "skipped"


@dataclass(frozen=True)
class Finding:
    """One problem a check found, located as precisely as the tool allows."""

    message: str
    file: str | None = None
    page: int | None = None
    rule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}

    def format(self) -> str:
        where = ":".join(x for x in (self.file, f"page {self.page}" if self.page else None) if x)
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{where + ': ' if where else ''}{rule}{self.message}"


@dataclass(frozen=True)
class Check:
    """One check's outcome: ``verdict`` is pass, fail or skipped (a tool that is not installed
    is skipped, never passed); ``detail`` is one line such as "0 failed rules of 104"."""

    name: str
    tool: str
    version: str
    verdict: str
    detail: str = ""
    findings: tuple[Finding, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "tool": self.tool,
            "version": self.version,
            "verdict": self.verdict,
            "detail": self.detail,
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class VerifyReport:
    """Every check run on one project's editions."""

    project: str
    outputs: dict[str, str] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()

    @property
    def ok(self) -> bool:
        return all(check.verdict != FAIL for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        counts = {v: sum(c.verdict == v for c in self.checks) for v in (PASS, FAIL, SKIPPED)}
        return {
            "project": self.project,
            "verdict": PASS if self.ok else FAIL,
            "counts": counts,
            "outputs": self.outputs,
            "checks": [check.as_dict() for check in self.checks],
        }

    def summary(self, max_findings: int = 5) -> list[str]:
        """A line per check, then up to ``max_findings`` findings under each failed one."""
        lines = []
        width = max((len(c.name) for c in self.checks), default=0)
        for check in self.checks:
            tool = f"{check.tool} {check.version}".strip()
            lines.append(f"{check.verdict.upper():7} {check.name:{width}}  {tool}: {check.detail}")
            for finding in check.findings[:max_findings]:
                lines.append(f"        {finding.format()}")
            if len(check.findings) > max_findings:
                lines.append(f"        … and {len(check.findings) - max_findings} more")
        failed = sum(c.verdict == FAIL for c in self.checks)
        skipped = sum(c.verdict == SKIPPED for c in self.checks)
        lines.append(
            f"verify: {len(self.checks)} checks, {failed} failed, {skipped} skipped"
            + (" — conformant" if self.ok else " — NOT conformant")
        )
        return lines
