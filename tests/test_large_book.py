"""At scale: a synthetic book of a few hundred sections, each with notes, a table, code, a
figure and cross-references, built end to end in every format."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import MINIMAL_CONFIG
from helpers import PNG, letters, run_epubcheck

pytestmark = pytest.mark.slow
SECTIONS = 200


def _section(n: int) -> str:
    # One cross-reference a part, backwards, as most are: a forward one makes WeasyPrint lay
    # the page out again once the target's page is known (measured: 600 forward links added
    # a third to the build time of this book).
    other = f"{n - 1:03d}-part-{n - 1}.md#figures-{n - 1}" if n > 1 else "#figures-1"
    return f"""---
title: Part {n} of the Ledger
---

Part {n} opens with a sentence that cites its source.[^src] It builds on
[the figures of the part before]({other}).

## Figures {n}

Table: Tonnage in part {n}

| Port | Tonnes |
|:-----|-------:|
| Veracruz | {n * 17} |
| Manzanillo | {n * 23} |

![A dot standing for part {n}](images/dot.png "The dot of part {n}")

```python
total_{n} = sum(row.tonnes for row in part_{n})
```

- [x] counted
- [ ] checked, closing part {n}.

[^src]: Ledger {n}, page {n * 3}.
"""


@pytest.fixture(scope="module")
def large_book(tmp_path_factory: pytest.TempPathFactory, layout_once: None) -> dict[str, Path]:
    from mxpublish.build import build

    root = tmp_path_factory.mktemp("large") / "book"
    (root / "source" / "images").mkdir(parents=True)
    (root / "source" / "publication.yaml").write_text(
        MINIMAL_CONFIG + "figure_numbers: true\nfootnote_numbering: document\n"
    )
    (root / "source" / "images" / "dot.png").write_bytes(PNG)
    for n in range(1, SECTIONS + 1):
        (root / "source" / f"{n:03d}-part-{n}.md").write_text(_section(n), encoding="utf-8")
    result = build(root, out_dir=root / "build")
    assert not result.diagnostics, [d.format() for d in result.diagnostics[:5]]
    outputs = {output.format: output.path for output in result.outputs}
    outputs["root"] = root
    return outputs


def test_large_book_pdf_has_every_part(large_book: dict[str, Path]) -> None:
    reader = PdfReader(large_book["pdf"])
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles == [f"Part {n} of the Ledger" for n in range(1, SECTIONS + 1)]
    last = letters(reader.pages[-1].extract_text())
    assert letters(f"checked, closing part {SECTIONS}") in last or letters(
        f"Ledger {SECTIONS}, page {SECTIONS * 3}"
    ) in letters("".join(p.extract_text() for p in reader.pages[-3:]))
    text = letters("".join(page.extract_text() for page in reader.pages[-4:]))
    assert letters(f"Figure {SECTIONS}. The dot of part {SECTIONS}") in text
    assert letters(f"Table {SECTIONS}. Tonnage in part {SECTIONS}") in text


def test_large_book_epub_is_valid_and_complete(large_book: dict[str, Path]) -> None:
    with zipfile.ZipFile(large_book["epub"]) as archive:
        names = archive.namelist()
        last = archive.read(f"EPUB/text/{SECTIONS}-part-{SECTIONS}.xhtml").decode()
    assert sum(n.startswith("EPUB/text/") for n in names) == SECTIONS + 2  # + cover, title page
    assert sum(n.startswith("EPUB/images/") for n in names) == 2  # the figure and the cover
    assert f'epub:type="noteref" role="doc-noteref">{SECTIONS}</a>' in last
    assert f'href="{SECTIONS - 1}-part-{SECTIONS - 1}.xhtml#figures-{SECTIONS - 1}"' in last
    report = run_epubcheck(large_book["epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.messages[:10]


def test_large_book_html_is_one_file(large_book: dict[str, Path]) -> None:
    html = large_book["html"].read_text(encoding="utf-8")
    assert html.count('<section class="chapter"') == SECTIONS
    assert html.count('<img src="data:image/png;base64,') == SECTIONS


def test_large_book_conforms_in_every_pdf_variant(
    large_book: dict[str, Path], tmp_path: Path
) -> None:
    """Laid out once (the large_book build), written and validated in each variant."""
    from test_conformance import assert_conforms

    assert_conforms(large_book["root"], tmp_path)
