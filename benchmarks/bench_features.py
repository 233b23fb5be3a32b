"""What each print design feature costs WeasyPrint, per page, against Pandoc's default HTML.

Builds the benchmark book (``bench.make_book``: the briefing's sections repeated), assembles
its print HTML and CSS the way ``render.pdf.print_edition`` does, and times WeasyPrint's
``HTML(string=...).render()`` + ``write_pdf()`` in a fresh process per run, with one feature
switched off at a time (CSS appended to the full design, or the stylesheet edited). Pandoc's
standalone HTML of the same text goes through the same WeasyPrint. Runs are interleaved
(every variant once per round) and each figure is the median CPU time of the child
(``time.process_time``: the machine is shared, so wall time would measure the neighbours).

    python benchmarks/bench_features.py [--copies 30] [--runs 3] [--only NAME ...]
                                        [--profile NAME]

Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: The stylesheets print_edition joins, in order (documents.stylesheet).
SHEETS = ("base.css", "code.css", "apparatus.css", "print.css")


@dataclass(frozen=True)
class Variant:
    """One design: the full one with ``css`` appended, or its sheets edited by ``edit``."""

    name: str
    css: str = ""
    edit: str = ""  # a key of EDITS
    variant: str = "pdf/ua-1"
    html: str = "mx"  # "mx" or "pandoc"
    sheets: str = ""  # a git revision to take the theme's sheets from (default: this tree)
    refs: bool = False  # write as render/conformance.py does (page references computed once)
    extra: bool = False  # only with --all


def _first_family_only(css: str) -> str:
    """Every font-family list cut to its first family and the generic one."""

    def cut(match: re.Match[str]) -> str:
        families = [f.strip() for f in match.group(2).split(",")]
        kept = families[:1] + ([families[-1]] if len(families) > 1 else [])
        return match.group(1) + ", ".join(kept)

    return re.sub(r"(font-family:\s*)([^;}]+)", cut, css)


def _without_rules(css: str, pattern: str) -> str:
    """``css`` without the rules whose selector matches ``pattern`` (top-level rules only)."""
    import tinycss2

    kept = []
    for node in tinycss2.parse_stylesheet(css, skip_comments=True):
        if node.type == "qualified-rule" and re.search(pattern, tinycss2.serialize(node.prelude)):
            continue
        kept.append(tinycss2.serialize([node]))
    return "\n".join(kept)


def _vars_resolved(css: str) -> str:
    """``var(--x)`` replaced by the value :root gives it (the theme never changes one)."""
    values = dict(re.findall(r"(--[\w-]+):\s*([^;]+);", css))
    return re.sub(r"var\((--[\w-]+)\)", lambda m: values[m.group(1)], css)


EDITS = {
    "first-family": _first_family_only,
    "no-heavy-selectors": lambda css: _without_rules(css, r":nth-|\[class\^=|~"),
    "no-code-apparatus": lambda css: _without_rules(
        css, r"\.highlight|pre|\.console|\.output|\.equation|\.references|crossref|\.revisions"
    ),
    "no-vars": _vars_resolved,
}

#: One feature off at a time; the names are the table's rows. ``extra`` rows run with --all.
VARIANTS = (
    Variant("full design (PDF/UA-1)"),
    Variant("full design, PDF/UA-1, as mxpublish writes it", refs=True),
    Variant("main's design (PDF/UA-1)", sheets="main"),
    Variant("main's design, untagged", sheets="main", variant="none"),
    Variant("untagged PDF (the floor)", variant="none"),
    Variant("no hyphenation", "html, main li, td, th, .footnote { hyphens: manual !important; }"),
    Variant("no justification", "html { text-align: left !important; }"),
    Variant("no overflow-wrap: anywhere", "html { overflow-wrap: normal !important; }"),
    Variant(
        "contents: page number, no leader",
        ".toc-entry > a::after { content: ' ' target-counter(attr(href url), page) !important; }",
    ),
    Variant(
        "contents: no leader, no page number",
        ".toc-entry > a::after { content: none !important; }",
    ),
    Variant(
        "no running heads (string-set boxes gone)",
        "@page { @top-left { content: none } @top-right { content: none } }",
    ),
    Variant(
        "Page X, not Page X of Y", '@page { @bottom-right { content: "Page " counter(page) } }'
    ),
    Variant(
        "no margin boxes at all",
        "@page { @top-left { content: none } @top-right { content: none }"
        " @bottom-center { content: none } @bottom-right { content: none } }",
    ),
    Variant(
        "margin boxes white-space: nowrap",
        "@page { @top-left { white-space: nowrap } @top-right { white-space: nowrap }"
        " @bottom-center { white-space: nowrap } @bottom-right { white-space: nowrap } }",
    ),
    Variant("no widows/orphans", "html, pre { orphans: 1 !important; widows: 1 !important; }"),
    Variant(
        "no font features",
        "*, ::before, ::after { font-variant-numeric: normal !important;"
        " font-kerning: auto !important; font-variant-ligatures: normal !important; }",
    ),
    Variant("no text-indent", "p + p { text-indent: 0 !important; }"),
    Variant("first font family only", edit="first-family"),
    Variant("no :nth-child / ^= / ~ selectors", edit="no-heavy-selectors"),
    Variant("Pandoc HTML + its CSS (untagged)", variant="none", html="pandoc"),
    Variant("Pandoc HTML + its CSS, PDF/UA-1", html="pandoc"),
    Variant("control: no-op `*` rule", "* { orphans: 2; }", extra=True),
    Variant(
        "no string-set (running heads empty)",
        ".titlepage, .toc-title, .section-title, .marking-top { string-set: none !important; }",
        extra=True,
    ),
    Variant(
        "contents: leader, no page number",
        ".toc-entry > a::after { content: leader('. ') '000' !important; }",
        extra=True,
    ),
    Variant(
        "no cross-reference pages",
        "a.xref::after, a.crossref::after { content: none; }",
        extra=True,
    ),
    Variant("no footnotes (inline)", ".footnote { float: none !important; }", extra=True),
    Variant(
        "no bookmarks", "h1, h2, h3, h4, h5, h6 { bookmark-level: none !important; }", extra=True
    ),
    Variant(
        "no break-after: avoid",
        "h1, h2, h3, h4, h5, h6 { break-after: auto !important; }",
        extra=True,
    ),
    Variant("no code/apparatus rules", edit="no-code-apparatus", extra=True),
    Variant("var() resolved", edit="no-vars", extra=True),
)

_CHILD = r"""
import json, sys, time, resource
html_path, css_path, variant, out = sys.argv[1:5]
import weasyprint
from weasyprint.text.fonts import FontConfiguration
html = open(html_path, encoding="utf-8").read()
css = open(css_path, encoding="utf-8").read()
base = sys.argv[5]
refs = sys.argv[6] == "refs"
profile = len(sys.argv) > 7
from weasyprint.text import line_break
from weasyprint.draw import text as draw_text
counts = {"layouts": 0, "drawn": 0}
get_first_line = line_break.Layout.get_first_line
draw_first_line = draw_text.draw_first_line
def counted_layout(self):
    counts["layouts"] += 1
    return get_first_line(self)
def counted_draw(*args, **kwargs):
    counts["drawn"] += 1
    return draw_first_line(*args, **kwargs)
line_break.Layout.get_first_line = counted_layout
draw_text.draw_first_line = counted_draw
if profile:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
t0 = time.process_time()
fc = FontConfiguration()
sheets = [weasyprint.CSS(string=css, base_url=base, font_config=fc)] if css else []
doc = weasyprint.HTML(string=html, base_url=base).render(stylesheets=sheets, font_config=fc)
t1 = time.process_time()
options = {} if variant == "none" else {"pdf_variant": variant}
if refs:
    from mxpublish.render.conformance import _page_references_once
    with _page_references_once():
        data = doc.write_pdf(**options)
else:
    data = doc.write_pdf(**options)
t2 = time.process_time()
if profile:
    import io, pstats
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(45)
    stats.sort_stats("cumulative").print_stats(70)
    open(sys.argv[7], "w").write(text.getvalue())
open(out, "wb").write(data)
print(json.dumps({"render": t1 - t0, "write": t2 - t1, "pages": len(doc.pages), **counts}))
"""


def mx_inputs(project: Path) -> tuple[str, dict[str, str], str]:
    """The print HTML, the theme's sheets by name, and the @font-face + paper CSS, assembled
    as print_edition assembles them (the project has no styles/custom.css)."""
    from importlib import resources

    from mxpublish.assemble.coverage import print_faces
    from mxpublish.assemble.documents import document_html, environment
    from mxpublish.assemble.fonts import font_face_css, print_format, print_url
    from mxpublish.build import load
    from mxpublish.editions import PDF
    from mxpublish.source.metadata import paper_css

    proj, publication = load(project)
    html = document_html(publication, environment(proj), PDF.medium, toc_depth=PDF.toc_depth)
    theme = resources.files("mxpublish").joinpath("theme", "styles")
    sheets = {name: theme.joinpath(name).read_text(encoding="utf-8") for name in SHEETS}
    fonts = font_face_css(print_url, print_faces(html), print_format)
    paper = f"\n@page {{ size: {paper_css(publication.metadata.paper)}; }}\n"
    return html, sheets, fonts + "\x00" + paper


def pandoc_html(project: Path, out: Path) -> Path:
    """Pandoc's standalone HTML5 of the book (its default template and CSS), as Pandoc
    hands it to WeasyPrint for ``--pdf-engine=weasyprint``."""
    import pypandoc
    from bench import pandoc_markdown

    markdown = pandoc_markdown(project, out / "pandoc.md")
    target = out / "pandoc.html"
    subprocess.run(
        [pypandoc.get_pandoc_path(), str(markdown), "-s", "-t", "html5", "-o", str(target)],
        check=True,
    )
    return target


def _git_sheet(revision: str, name: str) -> str:
    path = f"{revision}:src/mxpublish/theme/styles/{name}"
    return subprocess.run(
        ["git", "-C", str(REPO), "show", path], check=True, capture_output=True, text=True
    ).stdout


def write_inputs(variant: Variant, mx: tuple[str, dict[str, str], str], out: Path) -> tuple:
    if variant.html == "pandoc":
        return out / "pandoc.html", out / "empty.css"
    html, sheets, fonts_paper = mx
    fonts, paper = fonts_paper.split("\x00")
    if variant.sheets:
        sheets = {name: _git_sheet(variant.sheets, name) for name in sheets}
    design = "\n".join(sheets.values())
    if variant.edit:
        design = EDITS[variant.edit](design)
    css = fonts + design + paper + variant.css
    slug = re.sub(r"\W+", "-", variant.name).strip("-")
    (out / f"{slug}.css").write_text(css, encoding="utf-8")
    if not (out / "mx.html").exists():
        (out / "mx.html").write_text(html, encoding="utf-8")
    return out / "mx.html", out / f"{slug}.css"


def run_child(html: Path, css: Path, v: Variant, pdf: Path, base: str, profile: str = "") -> dict:
    refs = "refs" if v.refs else "-"
    argv = [sys.executable, "-c", _CHILD, str(html), str(css), v.variant, str(pdf), base, refs]
    if profile:
        argv.append(profile)
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=30, help="briefing copies in the book")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="variant names (substrings) to run")
    parser.add_argument("--all", action="store_true", help="also the rows marked extra")
    parser.add_argument("--profile", help="pyinstrument one run of this variant and print it")
    parser.add_argument("--keep", help="write the inputs and PDFs to this folder")
    args = parser.parse_args()

    from bench import make_book

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mxfeat-"))
    work.mkdir(parents=True, exist_ok=True)
    briefing = work / "briefing"
    if not briefing.exists():
        for name in ("source", "styles"):
            if (REPO / name).exists():
                shutil.copytree(REPO / name, briefing / name)
    book = work / "book"
    if book.exists():
        shutil.rmtree(book)
    make_book(briefing, book, args.copies)
    out = work / "out"
    out.mkdir(exist_ok=True)
    (out / "empty.css").write_text("", encoding="utf-8")
    mx = mx_inputs(book)
    pandoc_html(book, out)
    base = book.resolve().as_uri() + "/"

    variants = [
        v
        for v in VARIANTS
        if (args.only and any(s.lower() in v.name.lower() for s in args.only))
        or (not args.only and (args.all or not v.extra))
    ]
    if not args.only:
        assert variants[0].name.startswith("full design")
    inputs = {v.name: write_inputs(v, mx, out) for v in variants}
    if args.profile:
        chosen = next(v for v in VARIANTS if args.profile.lower() in v.name.lower())
        html, css = inputs.get(chosen.name) or write_inputs(chosen, mx, out)
        report = out / "profile.txt"
        run_child(html, css, chosen, out / "profile.pdf", base, str(report))
        print(report.read_text(encoding="utf-8"))
        return

    if args.runs == 0:  # only write the inputs (with --keep)
        return
    results: dict[str, list[dict]] = {v.name: [] for v in variants}
    start = time.perf_counter()
    (out / "pdf").mkdir(exist_ok=True)
    for _ in range(args.runs):
        for v in variants:
            html, css = inputs[v.name]
            pdf = out / "pdf" / (re.sub(r"\W+", "-", v.name).strip("-") + ".pdf")
            results[v.name].append(run_child(html, css, v, pdf, base))
    print(
        f"# WeasyPrint cost per design feature: book of {args.copies} briefing copies, "
        f"median CPU of {args.runs} interleaved runs ({time.perf_counter() - start:.0f} s wall, "
        f"{os.cpu_count()} cores)\n"
    )
    print_table(variants, results)


def print_table(variants: list[Variant], results: dict[str, list[dict]]) -> None:
    """The table: median CPU (and the fastest run, the least disturbed by the neighbours),
    per page, the change per page against the full design, and two counts that do not
    depend on the machine: Pango line layouts made and text boxes drawn."""

    def cpu(name: str) -> list[float]:
        return [r["render"] + r["write"] for r in results[name]]

    full = variants[0].name
    full_pp = statistics.median(cpu(full)) / results[full][0]["pages"]
    print(
        "| variant | CPU s median (render + write) | fastest | pages | ms / page | "
        "Δ / page vs full | line layouts | text boxes drawn |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for v in variants:
        runs = results[v.name]
        median = statistics.median(cpu(v.name))
        render = statistics.median(r["render"] for r in runs)
        write = statistics.median(r["write"] for r in runs)
        pages = runs[0]["pages"]
        per_page = median / pages
        delta = (per_page - full_pp) / full_pp * 100
        print(
            f"| {v.name} | {median:.2f} ({render:.2f} + {write:.2f}) | {min(cpu(v.name)):.2f} | "
            f"{pages} | {per_page * 1000:.0f} | {delta:+.0f} % | {runs[0]['layouts']} | "
            f"{runs[0]['drawn']} |"
        )


if __name__ == "__main__":
    main()
