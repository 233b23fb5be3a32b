"""Numbered copies: stamping the laid-out PDF (what `dist --copies` does) against laying the
book out again for each copy (what putting the copy line in the HTML would cost).

Times, for the briefing (or PROJECT): one full print layout + PDF write with a copy line added
to the document (the per-copy cost of re-layout), and stamping N copies onto the PDF laid out
once. Medians of --runs rounds; timing lives here, never in the tests.

    python benchmarks/bench_copies.py [--copies 40] [--runs 3] [PROJECT]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from mxpublish.assemble.documents import document_html, environment, fonts_css, stylesheet
from mxpublish.assemble.fonts import font_dirs
from mxpublish.build import build_time, load
from mxpublish.dist.copies import Copy, stamp_copies
from mxpublish.render.pdf import render_pdf

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", nargs="?", default=str(REPO))
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    project, publication = load(args.project)
    env = environment(project)
    html = document_html(publication, env, "print", toc_depth=1, modified=build_time(publication))
    css = fonts_css(lambda face: face.path.resolve().as_uri()) + stylesheet(project, "print")
    copies = tuple(Copy(n, args.copies, f"Recipient {n}") for n in range(1, args.copies + 1))

    relayout, stamping = [], []
    pdf = b""
    for _ in range(args.runs):
        started = time.perf_counter()
        marked = html.replace(
            "</body>", "<p class='copy-line'>Copy 1 of 40 · Recipient 1</p></body>"
        )
        pdf = render_pdf(publication, marked, css, roots=font_dirs()).data
        relayout.append(time.perf_counter() - started)
        started = time.perf_counter()
        stamp_copies(publication, pdf, copies)
        stamping.append(time.perf_counter() - started)
    per_layout = statistics.median(relayout)
    per_stamp = statistics.median(stamping) / len(copies)
    print(f"{len(copies)} copies of {args.project}")
    print(f"  re-layout: {per_layout:.2f} s per copy -> {per_layout * len(copies):.1f} s")
    print(f"  stamping:  {per_stamp:.3f} s per copy -> {per_stamp * len(copies):.1f} s")
    print(f"  stamping is {per_layout / per_stamp:.0f}x faster per copy")


if __name__ == "__main__":
    main()
