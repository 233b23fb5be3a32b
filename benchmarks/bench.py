"""Benchmarks: mxpublish against Pandoc and the raw WeasyPrint floor, as whole processes.

Runs every command once to warm up (unless the budget is tight), then N rounds in which the
commands of a group run one after another (A B C A B C …), so that drift in the machine's
speed hits all of them alike. Prints, as markdown tables to paste into BENCHMARKS.md, the
median wall time, page counts and seconds per page, peak resident memory, and every figure of
the targets as a ratio against Pandoc and the floor. Timing lives here, never in the tests.

    python benchmarks/bench.py [--budget 20] [--runs N] [--book-copies N] [--book-runs N]
                               [--real-chapters N] [--skip-book] [--skip-real] [--edits N]

``--budget MINUTES`` picks runs and sizes so one complete run takes about that long on a
2-core machine (20: the briefing 5 runs, the 600-section book and the 64-chapter real book
once each; smaller budgets use smaller books); explicit options override it, and the chosen
settings are printed with the results.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from books import floor_inputs, make_book, make_real_book, pandoc_markdown, pdf_pages  # noqa: E402
from memory import TreePeak  # noqa: E402

#: Timed processes run as a user's would: writing .pyc files (a shell that sets this would
#: make every run compile mxpublish again).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


@dataclass
class Command:
    name: str
    argv: list[str]
    cwd: Path | None = None
    prepare: list[str] | Callable[[], None] | None = None  # before each timed run, untimed
    output: Path | None = None  # the PDF whose pages are counted
    times: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    tree_rss_mb: list[float] = field(default_factory=list)  # the process and its workers
    tree_pss_mb: list[float] = field(default_factory=list)
    pages: int | None = None  # of ``output``, counted after the first run that wrote it

    def run(self) -> None:
        if callable(self.prepare):
            self.prepare()
        elif self.prepare:
            subprocess.run(self.prepare, check=True, cwd=self.cwd, capture_output=True, env=_ENV)
        start = time.perf_counter()
        proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        tree = TreePeak(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        tree.stop()
        self.tree_rss_mb.append(tree.rss_mb)
        self.tree_pss_mb.append(tree.pss_mb)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"{self.name} failed ({proc.returncode}):\n{err}")
        self.times.append(elapsed)
        self.rss_mb.append(usage.ru_maxrss / 1024)
        if self.pages is None and self.output and self.output.is_file():
            self.pages = pdf_pages(self.output)  # now: a later command's clean step removes it

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


@dataclass
class Plan:
    """How much to measure: runs per group and the sizes of the books."""

    runs: int
    book_copies: int
    book_runs: int
    real_chapters: int
    warm_up: bool  # a first untimed run of each command of the books
    edits: int  # serve/watch latency edits


def plan_for(budget: float) -> Plan:
    """Runs and sizes for about ``budget`` minutes on a 2-core machine (a quiet one takes
    about half of it)."""
    if budget >= 45:
        return Plan(5, 100, 3, 64, True, 5)
    if budget >= 20:
        return Plan(5, 100, 1, 64, False, 5)
    if budget >= 10:
        return Plan(3, 50, 1, 24, False, 3)
    return Plan(3, 25, 1, 12, False, 3)


def measure(group: list[Command], runs: int, warm_up: bool = True) -> None:
    if warm_up:
        for command in group:  # file caches, .pyc files
            command.run()
            command.times.clear()
            command.rss_mb.clear()
    for _ in range(runs):
        for command in group:
            command.run()


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def report(title: str, group: list[Command]) -> None:
    print(f"\n## {title}\n")
    print("| command | median s | min s | pages | s per page | peak RSS MB | runs |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for c in group:
        pages = c.pages
        per_page = c.median / pages if pages else None
        print(
            f"| {c.name} | {c.median:.3f} | {min(c.times):.3f} | {pages or '–'} "
            f"| {_fmt(per_page, 4)} | {max(c.rss_mb):.0f} | {len(c.times)} |"
        )


def _clean(*paths: Path) -> Callable[[], None]:
    def clean() -> None:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)

    return clean


def _then(*steps: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()

    return run


def _edit_one_section(project: Path) -> Callable[[], None]:
    """Append a word to the section in the middle of the book (a new word each time)."""
    counter = [0]

    def edit() -> None:
        sections = sorted((project / "source").glob("[0-9]*.md"))
        path = sections[len(sections) // 2]
        counter[0] += 1
        text = path.read_text(encoding="utf-8").rstrip("\n")
        path.write_text(f"{text} Edit{counter[0]}.\n", encoding="utf-8")

    return edit


def _build(mx: list[str], project: Path, out: Path, *extra: str) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(
            [*mx, "build", str(project), "-q", "-o", str(out), *extra],
            check=True,
            capture_output=True,
            env=_ENV,
        )

    return run


def publication_group(label: str, project: Path, out: Path, mx: list[str]) -> list[Command]:
    """Full builds (output and cache removed, --no-cache), the EPUB after a PDF build (the
    cached page map), Pandoc and the floor."""
    pandoc = _pandoc()
    markdown = pandoc_markdown(project, out / "pandoc.md")
    html, css = floor_inputs(project, out)
    slug = "long-book" if label == "book" else "us-troops-in-mexico-2024"
    mx_out, cached_out = out / "mx", out / "cached"
    clean = _clean(mx_out, project / ".mxpublish-cache")
    full = [*mx, "build", str(project), "-q", "--no-cache", "-o", str(mx_out)]

    def drop_epub() -> None:  # the PDF and its page map stay: the EPUB is rebuilt from them
        for epub in cached_out.glob("*.epub"):
            epub.unlink()

    return [
        Command("mxpublish all", full, prepare=clean, output=mx_out / f"{slug}.pdf"),
        Command(
            "mxpublish pdf", [*full, "-f", "pdf"], prepare=clean, output=mx_out / f"{slug}.pdf"
        ),
        Command("mxpublish epub, cold (no cached layout)", [*full, "-f", "epub"], prepare=clean),
        Command(
            "mxpublish epub after a PDF build (cached page map)",
            [*mx, "build", str(project), "-q", "-f", "epub", "-o", str(cached_out)],
            # The other commands' clean step removes the project's cache: a PDF build (a
            # no-op when the cache survived) puts the page map back, untimed.
            prepare=_then(_build(mx, project, cached_out, "-f", "pdf"), drop_epub),
        ),
        Command("mxpublish html", [*full, "-f", "html"], prepare=clean),
        Command("pandoc epub", [pandoc, str(markdown), "-o", str(out / "p.epub")]),
        Command(
            "pandoc html (standalone)", [pandoc, str(markdown), "-s", "-o", str(out / "p.html")]
        ),
        Command(
            "pandoc pdf (weasyprint)",
            [pandoc, str(markdown), "-o", str(out / "p.pdf"), "--pdf-engine=weasyprint"],
            output=out / "p.pdf",
        ),
        Command(
            "weasyprint floor",
            [str(BIN / "weasyprint"), str(html), str(out / "f.pdf"), "-s", str(css)],
            output=out / "f.pdf",
        ),
    ]


def briefing_extras(project: Path, out: Path, mx: list[str]) -> list[Command]:
    noop = [*mx, "build", str(project), "-q", "-o", str(out / "noop")]
    return [
        # The untimed prepare builds (the full builds clear the cache), so the timed run finds
        # every output up to date.
        Command("mxpublish no-op rebuild", noop, prepare=noop),
        Command("mxpublish check", [*mx, "check", str(project)]),
        Command("mxpublish --help", [*mx, "--help"]),
    ]


def edit_rebuild(project: Path, out: Path, mx: list[str], runs: int, slug: str) -> Command:
    """``build -f pdf`` (cache on) after one word is appended to one section."""
    edited = out / "edit-project"
    shutil.copytree(project, edited)
    target = out / "edit-out"
    _build(mx, edited, target, "-f", "pdf")()
    command = Command(
        "mxpublish pdf after an edit of one section (cache on)",
        [*mx, "build", str(edited), "-q", "-f", "pdf", "-o", str(target)],
        prepare=_edit_one_section(edited),
        output=target / f"{slug}.pdf",
    )
    measure([command], runs, warm_up=False)
    return command


def latency(project: Path, out: Path, edits: int) -> dict[str, list[float]]:
    from latency import serve_latency, watch_latency

    copy = out / "latency-project"
    shutil.copytree(project, copy)
    return {
        "serve: edit → new page served": serve_latency(copy, edits),
        "watch -f html: edit → new file in place": watch_latency(copy, out / "watch", edits),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=20, help="minutes, about (default 20)")
    parser.add_argument("--runs", type=int, help="runs per briefing command")
    parser.add_argument("--book-copies", type=int, help="copies of the briefing's sections")
    parser.add_argument("--book-runs", type=int, help="runs per long-book command")
    parser.add_argument("--real-chapters", type=int, help="chapters of the real-book case")
    parser.add_argument("--edits", type=int, help="edits timed for serve/watch latency")
    parser.add_argument("--skip-book", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    plan = plan_for(args.budget)
    for name in ("runs", "book_copies", "book_runs", "real_chapters", "edits"):
        if getattr(args, name) is not None:
            setattr(plan, name, getattr(args, name))
    mx = [str(BIN / "mxpublish")]
    work = Path(tempfile.mkdtemp(prefix="mxbench-"))
    started = time.perf_counter()
    print(
        f"# mxpublish benchmarks\n\nmachine: {platform.node()} · {os.cpu_count()} cores · "
        f"{platform.python_implementation()} {platform.python_version()} · "
        f"{platform.platform()} · load average {os.getloadavg()[0]:.2f} at the start\n"
        f"settings: `--budget {args.budget:g}` → briefing {plan.runs} runs per command, "
        f"interleaved, after a warm-up; long book {plan.book_copies} copies of the briefing's "
        f"sections, {plan.book_runs} run(s){' after a warm-up' if plan.warm_up else ''}; "
        f"real book {plan.real_chapters} chapters, 1 run; {plan.edits} timed edits for "
        "serve/watch",
        flush=True,
    )

    briefing = work / "briefing"
    for name in ("source", "styles"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, briefing / name)
    results: dict[str, dict[str, Command]] = {}
    extra: dict[str, float | None] = {}

    out = work / "briefing-out"
    out.mkdir()
    group = publication_group("briefing", briefing, out, mx) + briefing_extras(briefing, out, mx)
    measure(group, plan.runs)
    report("Briefing", group)
    results["briefing"] = {c.name: c for c in group}

    if not args.skip_book:
        book = make_book(briefing, work / "book", plan.book_copies)
        out = work / "book-out"
        out.mkdir()
        group = publication_group("book", book, out, mx)
        group = [c for c in group if c.name != "pandoc html (standalone)"]
        measure(group, plan.book_runs, warm_up=plan.warm_up)
        group.append(edit_rebuild(book, out, mx, plan.book_runs, "long-book"))
        report(f"Long book ({plan.book_copies * 6} sections)", group)
        results["book"] = {c.name: c for c in group}
        waits = latency(book, out, plan.edits)
        print(f"\n## Edit → preview latency, long book ({plan.book_copies * 6} sections)\n")
        print("| what | median s | max s | edits |")
        print("|---|---:|---:|---:|")
        for name, times in waits.items():
            print(f"| {name} | {statistics.median(times):.3f} | {max(times):.3f} | {len(times)} |")
            extra[name] = statistics.median(times)

    if not args.skip_real:
        real = make_real_book(briefing, work / "real", plan.real_chapters)
        out = work / "real-out"
        out.mkdir()
        pdf = Command(
            "mxpublish pdf",
            [*mx, "build", str(real), "-q", "--no-cache", "-f", "pdf", "-o", str(out / "mx")],
            output=out / "mx" / "real-book.pdf",
        )
        measure([pdf], 1, warm_up=False)
        edit = edit_rebuild(real, out, mx, plan.book_runs, "real-book")
        report(f"Real book ({plan.real_chapters} chapters: code, tables, images)", [pdf, edit])
        print(
            f"\npeak memory of the cold build, all its processes: {max(pdf.tree_rss_mb):.0f} MB"
            f" summed RSS, {max(pdf.tree_pss_mb):.0f} MB summed PSS; largest process"
            f" {max(pdf.rss_mb):.0f} MB"
        )
        results["real"] = {pdf.name: pdf, edit.name: edit}

    ratios(results, extra)
    print(f"\nthe whole run took {(time.perf_counter() - started) / 60:.1f} minutes")
    shutil.rmtree(work, ignore_errors=True)


Row = tuple[str, float | None, float | None, int]  # measure, value, goal (at most), digits


def _per_page(c: Command) -> float | None:
    return c.median / c.pages if c.pages else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def briefing_rows(b: dict[str, Command], extra: dict[str, float | None]) -> list[Row]:
    def m(name: str) -> float:
        return b[name].median

    pandoc_both = m("pandoc epub") + m("pandoc pdf (weasyprint)")
    rows: list[Row] = [
        ("briefing all / Pandoc PDF+EPUB", m("mxpublish all") / pandoc_both, 1.0, 2),
        ("briefing PDF / Pandoc PDF", m("mxpublish pdf") / m("pandoc pdf (weasyprint)"), None, 2),
        ("briefing PDF / WeasyPrint floor", m("mxpublish pdf") / m("weasyprint floor"), None, 2),
        (
            "briefing EPUB cold / Pandoc EPUB",
            m("mxpublish epub, cold (no cached layout)") / m("pandoc epub"),
            None,
            2,
        ),
        (
            "briefing EPUB, page map cached / Pandoc EPUB",
            m("mxpublish epub after a PDF build (cached page map)") / m("pandoc epub"),
            3.0,
            2,
        ),
        (
            "briefing HTML / Pandoc HTML",
            m("mxpublish html") / m("pandoc html (standalone)"),
            None,
            2,
        ),
        ("briefing no-op rebuild (s)", m("mxpublish no-op rebuild"), 0.15, 3),
        ("briefing check (s)", m("mxpublish check"), 0.2, 3),
        ("--help (s)", m("mxpublish --help"), 0.2, 3),
    ]
    rows += [(f"{name} (s)", value, 0.5, 3) for name, value in extra.items()]
    return rows


def book_rows(k: dict[str, Command]) -> list[Row]:
    def m(name: str) -> float:
        return k[name].median

    pdf, pandoc_pdf = m("mxpublish pdf"), m("pandoc pdf (weasyprint)")
    per_page = _ratio(_per_page(k["weasyprint floor"]), _per_page(k["pandoc pdf (weasyprint)"]))
    return [
        ("book floor s/page / Pandoc PDF s/page", per_page, 1.3, 2),
        ("book PDF / WeasyPrint floor", pdf / m("weasyprint floor"), None, 2),
        ("book PDF / Pandoc PDF", pdf / pandoc_pdf, None, 2),
        (
            "book EPUB cold / Pandoc EPUB",
            m("mxpublish epub, cold (no cached layout)") / m("pandoc epub"),
            None,
            2,
        ),
        (
            "book EPUB, page map cached / Pandoc EPUB",
            m("mxpublish epub after a PDF build (cached page map)") / m("pandoc epub"),
            3.0,
            2,
        ),
        (
            "book all / Pandoc PDF+EPUB",
            m("mxpublish all") / (m("pandoc epub") + pandoc_pdf),
            None,
            2,
        ),
        (
            "book PDF after a one-section edit / full PDF",
            m("mxpublish pdf after an edit of one section (cache on)") / pdf,
            None,
            2,
        ),
    ]


def ratios(results: dict[str, dict[str, Command]], extra: dict[str, float | None]) -> None:
    rows = briefing_rows(results["briefing"], extra)
    if "book" in results:
        rows += book_rows(results["book"])
    if "real" in results:
        real = results["real"]["mxpublish pdf"]
        edit = results["real"]["mxpublish pdf after an edit of one section (cache on)"]
        briefing_pdf = results["briefing"]["mxpublish pdf"]
        rows += [
            ("real book PDF s/page", _per_page(real), None, 3),
            (
                "real book s/page / briefing s/page",
                _ratio(_per_page(real), _per_page(briefing_pdf)),
                1.2,
                2,
            ),
            (
                "real book PDF peak memory, all processes, summed RSS (MB)",
                max(real.tree_rss_mb),
                800,
                0,
            ),
            (
                "real book PDF after a one-section edit / full PDF",
                edit.median / real.median,
                None,
                2,
            ),
        ]
    print("\n## Goals (issue 15): ratios against Pandoc and the floor\n")
    print("| measure | value | goal | |")
    print("|---|---:|---|---|")
    for name, value, goal, digits in rows:
        verdict = "" if goal is None or value is None else "met" if value <= goal else "**missed**"
        print(f"| {name} | {_fmt(value, digits)} | {f'≤ {goal:g}' if goal else ''} | {verdict} |")


if __name__ == "__main__":
    main()
