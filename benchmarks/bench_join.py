"""Benchmark: joining a book laid out in parts (render/join.py), time and peak memory.

Lays out a generated book of ``--parts`` parts of about ``--pages`` pages each with
WeasyPrint (project fonts, headings with bookmarks, lists, tables, links within and across
parts with stubs), writes each part in ``--variant``, then joins them ``--runs`` times in a
fresh process each and prints the median wall time, the peak resident memory of the join
process (and of a process that only reads the parts, the floor), and the sizes.
``--single`` also lays the whole book out as one document to compare the size.
``--captured FILE`` joins parts captured from a real build instead: a pickle of
join_pdfs's arguments (``{"parts": [bytes…], "identifier": bytes, "stubs": […],
"drop_first": […]}``).

    python benchmarks/bench_join.py [--parts 10] [--pages 60] [--variant pdf/ua-1+a-2a]
    python benchmarks/bench_join.py --captured joinargs.pkl
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CSS = """
@page { size: A5; margin: 18mm; font-family: "Source Sans Pro";
        @bottom-center { content: counter(page) } }
body { font-family: "Source Serif Pro"; font-size: 10pt; line-height: 1.4 }
h1 { bookmark-level: 1; break-before: page } h2 { bookmark-level: 2 }
table { border-collapse: collapse } td, th { border: 0.5pt solid #888; padding: 2pt }
"""
_WORDS = [
    "the",
    "quick",
    "layout",
    "of",
    "a",
    "long",
    "book",
    "in",
    "parts",
    "keeps",
    "memory",
    "flat",
    "while",
    "pages",
    "flow",
]


def _chapter(part: int, parts: int, pages: int) -> str:
    """About ``pages`` A5 pages: sections of prose, a list, a table and links."""
    html = [f'<h1 id="p{part}">Part {part + 1}</h1>']
    for section in range(pages):
        target = (part + 1) % parts
        words = " ".join(_WORDS[(section + n) % len(_WORDS)] for n in range(180))
        html.append(
            f'<h2 id="p{part}s{section}">Section {part + 1}.{section + 1}</h2>'
            f'<p>{words} <a href="#p{target}s{section}">see part {target + 1}</a>, '
            f'<a href="https://example.org/{part}/{section}">a site</a>.</p>'
            "<ul><li>first point</li><li>second point</li></ul>"
            "<table><tr><th>Key</th><th>Value</th></tr>"
            + "".join(f"<tr><td>k{n}</td><td>{n * section}</td></tr>" for n in range(3))
            + "</table>"
        )
    return "".join(html)


def _render(parts: int, pages: int, variant: str, out: Path, single: bool) -> list[Path]:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from mxpublish.assemble.fonts import BODY_FAMILIES, FACES, font_face_css
    from mxpublish.render.conformance import PDFA_CSS, is_pdfa, write_conforming

    fonts = font_face_css(
        lambda face: face.path.as_uri(), [f for f in FACES if f.family in BODY_FAMILIES]
    )
    chapters = [_chapter(part, parts, pages) for part in range(parts)]
    paths, done = [], 0
    bodies = ["".join(chapters)] if single else chapters
    for number, body in enumerate(bodies):
        stubs = (
            ""
            if single
            else "".join(f'<span id="p{(number + 1) % parts}s{s}"></span>' for s in range(pages))
        )
        config = FontConfiguration()
        css = fonts + _CSS + (PDFA_CSS if is_pdfa(variant) else "")
        css += f"@page :first {{ counter-reset: page {done + 1} }}"
        html = f'<html lang="en"><head><title>Bench</title></head><body>{body}{stubs}</body></html>'
        document = HTML(string=html).render(
            stylesheets=[CSS(string=css, font_config=config)], font_config=config
        )
        done += len(document.pages)
        path = out / ("single.pdf" if single else f"part{number:02}.pdf")
        path.write_bytes(write_conforming(document, variant, b"bench"))
        paths.append(path)
    print(f"laid out {done} pages in {len(bodies)} document(s)", file=sys.stderr)
    return paths


_JOIN = """
import pickle
import sys
from pathlib import Path
if sys.argv[1] == "captured":
    args = pickle.loads(Path(sys.argv[3]).read_bytes())
    if sys.argv[2] != "read":
        from mxpublish.render.join import join_pdfs
        Path(sys.argv[2]).write_bytes(join_pdfs(args.pop("parts"), **args))
    sys.exit()
parts = [Path(p).read_bytes() for p in sys.argv[2:]]
if sys.argv[1] != "read":
    from mxpublish.render.join import join_pdfs
    n = len(parts)
    stubs = [{f"p{(i + 1) % n}s{s}" for s in range(1000)} for i in range(n)]
    Path(sys.argv[1]).write_bytes(join_pdfs(parts, identifier=b"bench", stubs=stubs))
"""


def _run(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak resident MB and CPU seconds of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _JOIN, *argv])
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the join failed")
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, usage.ru_maxrss / 1024, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--variant", default="pdf/ua-1+a-2a")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--single", action="store_true")
    parser.add_argument("--keep", type=Path, help="folder for the PDFs (kept; reused)")
    parser.add_argument("--captured", type=Path, help="a pickle of join_pdfs's arguments")
    parser.add_argument("--render-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.captured:
        _report_captured(args.captured, args.runs)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-join-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        _render(args.parts, args.pages, args.variant, folder, args.single)
        return
    parts = [str(folder / f"part{number:02}.pdf") for number in range(args.parts)]
    common = [f"--parts={args.parts}", f"--pages={args.pages}", f"--variant={args.variant}"]
    # laid out in another process: a child forked from a big process counts its pages
    if not all(Path(p).exists() for p in parts):
        render = [sys.executable, __file__, "--render-only", f"--keep={folder}", *common]
        subprocess.run(render, check=True)
    joined = folder / "joined.pdf"
    floor = max(_run(["read", *parts])[1] for _ in range(args.runs))
    runs = [_run([str(joined), *parts]) for _ in range(args.runs)]
    size = sum(Path(p).stat().st_size for p in parts)
    print(f"parts: {args.parts}, {size / 1e6:.1f} MB; joined {joined.stat().st_size / 1e6:.1f} MB")
    print(f"join: median {statistics.median(t for t, _, _ in runs):.2f} s wall, ", end="")
    print(f"{statistics.median(c for _, _, c in runs):.2f} s CPU, ", end="")
    print(f"peak RSS {max(m for _, m, _ in runs):.0f} MB (reading the parts alone: {floor:.0f} MB)")
    if args.single:
        render = [sys.executable, __file__, "--render-only", "--single", f"--keep={folder}"]
        subprocess.run([*render, *common], check=True)
        print(f"one document: {(folder / 'single.pdf').stat().st_size / 1e6:.1f} MB")


def _report_captured(captured: Path, runs: int) -> None:
    """Join parts captured from a real build, in a fresh process each run."""
    import pickle

    joined = Path(tempfile.mkdtemp(prefix="bench-join-")) / "joined.pdf"
    floor = max(_run(["captured", "read", str(captured)])[1] for _ in range(runs))
    results = [_run(["captured", str(joined), str(captured)]) for _ in range(runs)]
    size = sum(map(len, pickle.loads(captured.read_bytes())["parts"]))
    print(f"captured parts: {size / 1e6:.1f} MB; joined {joined.stat().st_size / 1e6:.1f} MB")
    print(f"join: median {statistics.median(t for t, _, _ in results):.2f} s wall, ", end="")
    print(f"{statistics.median(c for _, _, c in results):.2f} s CPU, ", end="")
    print(f"peak RSS {max(m for _, m, _ in results):.0f} MB (reading them alone: {floor:.0f} MB)")


if __name__ == "__main__":
    main()
