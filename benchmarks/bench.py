"""Benchmarks: mxpublish against Pandoc and the raw WeasyPrint floor, as whole processes.

Runs every command once to warm up, then N rounds in which the commands of a group run one
after another (A B C A B C …), so that drift in the machine's speed hits all of them alike.
Prints the median wall time, the peak resident memory of each command and the ratios the
targets in BENCHMARKS.md are stated in. Timing lives here, never in the tests.

    python benchmarks/bench.py [--runs 5] [--book-copies 100] [--skip-book]
                               [--real-chapters 64] [--skip-real]

The *real book* case is shaped like a technical book converted from mdBook (the kind issue 11
measured at 1.78 GB): chapters of prose with many highlighted code blocks (some lines too long
for the page), terminal sessions, wide tables and raster images, generated here so that the
benchmark needs nothing outside the repository.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Command:
    name: str
    argv: list[str]
    cwd: Path | None = None
    prepare: list[str] | None = None  # run before each timed run, untimed
    times: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def run(self) -> None:
        if self.prepare:
            subprocess.run(self.prepare, check=True, cwd=self.cwd, capture_output=True)
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        start = time.perf_counter()
        proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"{self.name} failed ({proc.returncode}):\n{err}")
        self.times.append(elapsed)
        self.rss_mb.append(usage.ru_maxrss / 1024)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def make_book(briefing: Path, target: Path, copies: int) -> Path:
    """A long book: the briefing's sections repeated ``copies`` times (a few hundred pages)."""
    shutil.copytree(briefing / "source", target / "source")
    if (briefing / "styles").exists():
        shutil.copytree(briefing / "styles", target / "styles")
    sections = sorted((target / "source").glob("[0-9]*.md"))
    for path in sections:
        path.unlink()
    number = 1
    for copy in range(copies):
        for path in sorted((briefing / "source").glob("[0-9]*.md")):
            text = path.read_text(encoding="utf-8")
            text = text.replace("status: incomplete\n", "")
            if not text.rstrip().endswith((".", "?", "!")):
                text = text.rstrip() + " [the source ends here].\n"
            name = path.stem.split("-", 1)[1]
            (target / "source" / f"{number:04d}-{name}-{copy + 1}.md").write_text(
                text, encoding="utf-8"
            )
            number += 1
    config = target / "source" / "publication.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "slug: us-troops-in-mexico-2024", "slug: long-book"
        ),
        encoding="utf-8",
    )
    return target


_RUST = """\
use std::collections::HashMap;
use std::io::{{self, BufRead}};

/// Counts the words of chapter {n} and reports the {k} most frequent ones.
fn count_words(input: &str, limit: usize) -> Result<Vec<(String, usize)>, io::Error> {{
    let mut counts: HashMap<String, usize> = HashMap::with_capacity(limit * 4);
    for line in input.lines() {{
        {long_for} {{
            {long_count}
        }}
    }}
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ranked.into_iter().take(limit).collect())
}}
"""

# Lines longer than the printed measure, which must wrap with a continuation mark.
_LONG_FOR = (
    "for word in line.split_whitespace()"
    + ".map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))"
)
_LONG_COUNT = (
    "*counts.entry(word.to_lowercase()).or_insert(0) += 1;"
    " // a comment that runs on past the margin of the page"
)

_CONSOLE = """\
$ cargo run --release --bin chapter{n} -- --input data/chapter{n}.txt --limit {k}
   Compiling chapter{n} v0.1.0 (file:///projects/chapter{n})
    Finished release [optimized] target(s) in {k}.42s
     Running `target/release/chapter{n} --input data/chapter{n}.txt --limit {k}`
the: 412
and: 389
"""


def _real_table(n: int) -> str:
    words = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliett",
        "kilo",
        "lima",
    ]
    columns = 6 + n % 7
    head = "| " + " | ".join(w.title() for w in words[:columns]) + " |"
    rule = "|" + "---|" * columns
    rows = [
        "| " + " | ".join(words[(r + c) % len(words)] for c in range(columns)) + " |"
        for r in range(8)
    ]
    return "\n".join([f"Table: Results of chapter {n}", "", head, rule, *rows])


def _real_images(folder: Path) -> list[str]:
    """A few deterministic PNG diagrams and one large photograph-like JPEG."""
    import random

    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(4):
        image = Image.new("RGB", (1600, 900), (244, 246, 249))
        draw = ImageDraw.Draw(image)
        for box in range(8):
            x = 60 + box * 190
            draw.rectangle((x, 300 + index * 40, x + 150, 600), outline=(31, 58, 95), width=6)
            draw.line((x + 150, 450, x + 190, 450), fill=(31, 58, 95), width=6)
        image.save(folder / f"diagram{index}.png")
        names.append(f"diagram{index}.png")
    rng = random.Random(11)
    photo = Image.frombytes("RGB", (4000, 3000), rng.randbytes(4000 * 3000 * 3))
    photo = photo.resize((400, 300)).resize((4000, 3000))  # smooth, like a photograph
    photo.save(folder / "photo.jpg", quality=88)
    names.append("photo.jpg")
    return names


def make_real_book(briefing: Path, target: Path, chapters: int) -> Path:
    """A technical book: per chapter, prose (the briefing's paragraphs), eight code blocks, a
    terminal session, a program's output, a wide table and a figure."""
    shutil.copytree(briefing / "source", target / "source")
    for path in (target / "source").glob("[0-9]*.md"):
        path.unlink()
    paragraphs = [
        p
        for path in sorted((briefing / "source").glob("[0-9]*.md"))
        for p in path.read_text(encoding="utf-8").split("---\n", 2)[2].split("\n\n")
        if p.strip() and not p.startswith(("#", "-")) and p.rstrip().endswith(".")
    ]
    images = _real_images(target / "source" / "images")
    for n in range(1, chapters + 1):
        parts = [f"---\ntitle: Chapter {n}\n---\n"]
        for block in range(8):
            parts.append(paragraphs[(n * 8 + block) % len(paragraphs)])
            parts.append(f"## Listing {n}.{block + 1}")
            parts.append(
                "```rust\n"
                + _RUST.format(n=n, k=block + 3, long_for=_LONG_FOR, long_count=_LONG_COUNT)
                + "```"
            )
        parts.append("```console\n" + _CONSOLE.format(n=n, k=n % 9 + 1) + "```")
        parts.append("```text\n" + "\n".join(f"line {i}: ok" for i in range(6)) + "\n```")
        parts.append(_real_table(n))
        image = images[n % len(images)]
        parts.append(f'![Figure for chapter {n}](images/{image} "Figure {n}")')
        parts.append("The chapter ends here.")
        text = "\n\n".join(parts) + "\n"
        (target / "source" / f"{n:03d}-chapter-{n}.md").write_text(text, encoding="utf-8")
    config = target / "source" / "publication.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "slug: us-troops-in-mexico-2024", "slug: real-book"
        ),
        encoding="utf-8",
    )
    return target


def pandoc_markdown(project: Path, out: Path) -> Path:
    """The same text as one Markdown file with a title block, for Pandoc."""
    import yaml

    meta = yaml.safe_load((project / "source" / "publication.yaml").read_text(encoding="utf-8"))
    parts = [f"---\ntitle: {meta['title']!r}\nlang: {meta['language']}\n---\n"]
    for path in sorted((project / "source").glob("[0-9]*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        title = yaml.safe_load(front)["title"]
        parts.append(f"# {title}\n\n{body.strip()}\n")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


def floor_inputs(project: Path, out: Path) -> tuple[Path, Path]:
    """mxpublish's own print HTML and CSS, for the WeasyPrint CLI (the floor of the PDF)."""
    sys.path.insert(0, str(REPO / "src"))
    from mxpublish.assemble.coverage import print_faces
    from mxpublish.assemble.documents import document_html, environment, stylesheet
    from mxpublish.assemble.fonts import font_face_css, print_format, print_url
    from mxpublish.build import load

    proj, publication = load(project)
    html = document_html(publication, environment(proj), "print")
    fonts = font_face_css(print_url, print_faces(html), print_format)
    css = fonts + stylesheet(proj, "print")
    (out / "print.html").write_text(html, encoding="utf-8")
    (out / "print.css").write_text(css, encoding="utf-8")
    return out / "print.html", out / "print.css"


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def measure(group: list[Command], runs: int) -> None:
    for command in group:  # warm-up: file caches, .pyc files
        command.run()
        command.times.clear()
        command.rss_mb.clear()
    for _ in range(runs):
        for command in group:
            command.run()


def report(title: str, group: list[Command]) -> None:
    print(f"\n## {title}\n")
    print("| command | median s | min s | peak RSS MB | runs |")
    print("|---|---:|---:|---:|---:|")
    for c in group:
        print(
            f"| {c.name} | {c.median:.3f} | {min(c.times):.3f} | {max(c.rss_mb):.0f} "
            f"| {len(c.times)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--book-copies",
        type=int,
        default=100,
        help="copies of the briefing's sections in the long book",
    )
    parser.add_argument(
        "--book-runs", type=int, default=None, help="runs for the long book (default: --runs)"
    )
    parser.add_argument("--skip-book", action="store_true")
    parser.add_argument(
        "--real-chapters", type=int, default=64, help="chapters of the real-book case (~600 pages)"
    )
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    mx = [str(BIN / "mxpublish")]
    pandoc = _pandoc()
    work = Path(tempfile.mkdtemp(prefix="mxbench-"))
    print(
        f"# mxpublish benchmarks\n\nmachine: {platform.node()} · {os.cpu_count()} cores · "
        f"{platform.python_implementation()} {platform.python_version()} · "
        f"{platform.platform()}\nruns: {args.runs} per command, interleaved, after a warm-up"
    )

    briefing = work / "briefing"
    for name in ("source", "styles"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, briefing / name)
    projects = [("briefing", briefing)]
    if not args.skip_book:
        projects.append(("book", make_book(briefing, work / "book", args.book_copies)))
    if not args.skip_real:
        projects.append(("real", make_real_book(briefing, work / "real", args.real_chapters)))

    results: dict[str, dict[str, Command]] = {}
    for label, project in projects:
        out = work / f"{label}-out"
        out.mkdir()
        markdown = pandoc_markdown(project, out / "pandoc.md")
        html, css = floor_inputs(project, out)
        # Full builds: the output and the cache (in the project) removed, and --no-cache.
        clean = ["rm", "-rf", str(out / "mx"), str(project / ".mxpublish-cache")]
        full = [*mx, "build", str(project), "-q", "--no-cache", "-o", str(out / "mx")]
        group = [
            Command("mxpublish all", full, prepare=clean),
            Command("mxpublish pdf", [*full, "-f", "pdf"], prepare=clean),
            Command("mxpublish epub", [*full, "-f", "epub"], prepare=clean),
            Command("mxpublish html", [*full, "-f", "html"], prepare=clean),
            Command("pandoc epub", [pandoc, str(markdown), "-o", str(out / "p.epub")]),
            Command(
                "pandoc pdf (weasyprint)",
                [pandoc, str(markdown), "-o", str(out / "p.pdf"), "--pdf-engine=weasyprint"],
            ),
            Command(
                "weasyprint floor",
                [str(BIN / "weasyprint"), str(html), str(out / "f.pdf"), "-s", str(css)],
            ),
        ]
        if label == "briefing":
            group += [
                # The untimed prepare builds (the full builds above clear the cache), so the
                # timed run finds every output up to date.
                Command(
                    "mxpublish no-op rebuild",
                    [*mx, "build", str(project), "-q", "-o", str(out / "noop")],
                    prepare=[*mx, "build", str(project), "-q", "-o", str(out / "noop")],
                ),
                Command("mxpublish --help", [*mx, "--help"]),
                Command("mxpublish check", [*mx, "check", str(project)]),
            ]
        if label == "real":  # the case is about memory and time per page, not Pandoc
            group = [c for c in group if c.name in ("mxpublish all", "mxpublish pdf")]
        runs = args.runs if label == "briefing" else (args.book_runs or args.runs)
        measure(group, runs)
        counted = out / ("mx/real-book.pdf" if label == "real" else "f.pdf")
        report(f"{label} ({pdf_pages(counted)} pages)", group)
        results[label] = {c.name: c for c in group}

    print("\n## Ratios (targets in BENCHMARKS.md)\n")
    b = results["briefing"]
    pandoc_both = b["pandoc epub"].median + b["pandoc pdf (weasyprint)"].median
    rows = [
        ("briefing all / Pandoc PDF+EPUB", b["mxpublish all"].median / pandoc_both, "≤ 0.80"),
        (
            "briefing PDF / WeasyPrint floor",
            b["mxpublish pdf"].median / b["weasyprint floor"].median,
            "≤ 1.10",
        ),
        (
            "briefing EPUB / Pandoc EPUB",
            b["mxpublish epub"].median / b["pandoc epub"].median,
            "≤ 1.50",
        ),
        ("no-op rebuild (s)", b["mxpublish no-op rebuild"].median, "≤ 0.15"),
        ("--help (s)", b["mxpublish --help"].median, "≤ 0.20"),
        ("check (s)", b["mxpublish check"].median, "≤ 0.20"),
    ]
    if "real" in results:
        r = results["real"]
        per_page_brief = b["mxpublish pdf"].median / pdf_pages(work / "briefing-out" / "f.pdf")
        per_page_real = r["mxpublish pdf"].median / pdf_pages(
            work / "real-out" / "mx/real-book.pdf"
        )
        rows += [
            ("real book PDF time per page / briefing's", per_page_real / per_page_brief, "≤ 1.20"),
            ("real book all peak RSS (MB)", max(r["mxpublish all"].rss_mb), "≤ 800"),
            ("real book PDF peak RSS (MB)", max(r["mxpublish pdf"].rss_mb), "≤ 800"),
        ]
    if "book" in results:
        k = results["book"]
        brief_pages = pdf_pages(work / "briefing-out" / "f.pdf")
        book_pages = pdf_pages(work / "book-out" / "f.pdf")
        per_page_brief = b["mxpublish pdf"].median / brief_pages
        per_page_book = k["mxpublish pdf"].median / book_pages
        rows += [
            ("book PDF time per page / briefing's", per_page_book / per_page_brief, "≤ 1.20"),
            ("book all peak RSS (MB)", max(k["mxpublish all"].rss_mb), "≤ 600"),
            (
                "book PDF / WeasyPrint floor",
                k["mxpublish pdf"].median / k["weasyprint floor"].median,
                "≤ 1.10",
            ),
        ]
    print("| measure | value | target |")
    print("|---|---:|---|")
    for name, value, target in rows:
        print(f"| {name} | {value:.2f} | {target} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
