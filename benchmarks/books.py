"""The projects bench.py measures, made from the briefing: a long book of repeated sections,
a technical "real book" with code, tables and images; and the inputs of Pandoc and the
WeasyPrint floor for each."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOOK_STYLES = REPO / "src" / "mxpublish" / "theme" / "scaffold" / "book" / "styles" / "custom.css"


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
    # styled as a book (`mxpublish new --book`): each chapter starts a new page
    (target / "styles").mkdir(exist_ok=True)
    shutil.copy(BOOK_STYLES, target / "styles" / "custom.css")
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
