"""Summarize an Ace by DAISY report.json: one line per violation; exit 1 if there is any."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def violations(report: dict) -> list[str]:
    found = []
    for subject in report.get("assertions", []):
        url = subject.get("earl:testSubject", {}).get("url", "?")
        for item in subject.get("assertions", []):
            test, result = item["earl:test"], item["earl:result"]
            if result.get("earl:outcome") == "fail":
                found.append(f"{url}: {test['earl:impact']}: {test['dct:title']}: "
                             f"{result.get('dct:description', '')}")
    return found


def main(path: str) -> int:
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    found = violations(report)
    for line in found:
        print(line)
    print(f"Ace: {len(found)} violation(s); outcome {report['earl:result']['earl:outcome']}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
