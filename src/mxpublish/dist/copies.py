"""Numbered, personalised copies: "Copy 3 of 40 · Name" stamped on every page of the laid-out
screen PDF, without laying the book out again for each copy.

The copy lines of all copies are set by WeasyPrint in one small document (one page per copy,
the book's paper and fonts); each page of it is wrapped in an ``/Artifact`` marked-content
sequence (PDF/UA: page furniture, kept out of the tag tree like the running heads) and merged
onto every page of a copy with pypdf. The book's text, tags and outline stay as they are.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from pathlib import Path

from mxpublish.errors import UsageError, error
from mxpublish.model import Publication
from mxpublish.source.schema import FORBIDDEN_CHARS

#: Upper bound on ``--copies``: each copy is a full PDF.
MAX_COPIES = 10_000


@dataclass(frozen=True)
class Copy:
    number: int
    total: int
    recipient: str | None = None

    @property
    def line(self) -> str:
        """What the copy's pages say: ``Copy 3 of 40 · Name``."""
        head = f"Copy {self.number} of {self.total}"
        return f"{head} · {self.recipient}" if self.recipient else head

    def path(self, slug: str) -> str:
        """``copies/<slug>-copy-03-of-40.pdf``, zero-padded so that names sort by number."""
        width = len(str(self.total))
        return f"copies/{slug}-copy-{self.number:0{width}d}-of-{self.total}.pdf"


def parse_copies(value: str) -> tuple[Copy, ...]:
    """``--copies``: a number of anonymous copies, or a CSV file of recipients (one a row;
    the ``recipient`` or ``name`` column when the first row names one, else the first column).
    Raises UsageError for an unreadable file, a bad count or a bad recipient."""
    if value.strip().isdigit():
        total = int(value)
        if not 1 <= total <= MAX_COPIES:
            raise UsageError(error("COPIES", f"--copies must be 1 to {MAX_COPIES}, not {total}"))
        return tuple(Copy(n, total) for n in range(1, total + 1))
    path = Path(value)
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(error("COPIES", f"cannot read recipients: {reason}", str(path))) from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    column = 0
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        for name in ("recipient", "name"):
            if name in header:
                column, rows = header.index(name), rows[1:]
                break
    names = [row[column].strip() if column < len(row) else "" for row in rows]
    for line, name in enumerate(names, 1):
        if not name or FORBIDDEN_CHARS.search(name) or len(name) > 120:
            raise UsageError(
                error(
                    "COPIES",
                    f"recipient {line} is empty, too long or holds a control character",
                    str(path),
                )
            )
    if not names:
        raise UsageError(error("COPIES", "the recipients file names nobody", str(path)))
    if len(names) > MAX_COPIES:
        raise UsageError(error("COPIES", f"more than {MAX_COPIES} recipients", str(path)))
    return tuple(Copy(n, len(names), name) for n, name in enumerate(names, 1))


#: Where the copy line sits: centred, below the footer's marking and page number.
STAMP_CSS = """
@page { size: %(width).3fpt %(height).3fpt; margin: 0; }
html, body { margin: 0; padding: 0; }
.copy { height: %(height).3fpt; position: relative; break-after: page; }
.copy p { position: absolute; left: 0.5in; right: 0.5in; bottom: 0.42in; margin: 0;
  text-align: center; font-family: "Source Sans Pro", sans-serif; font-size: 7.5pt;
  font-weight: 700; letter-spacing: 0.04em; color: #1a1a1a; }
"""

#: The marked-content sequence around each stamp: pagination furniture, not text to read.
_ARTIFACT_OPEN = b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n"
_ARTIFACT_CLOSE = b"\nEMC\n"


def stamp_pdf(
    publication: Publication, copies: tuple[Copy, ...], width: float, height: float
) -> bytes:
    """One page per copy holding only its copy line, on a page of ``width`` × ``height`` pt."""
    from mxpublish.assemble.fonts import FACES, font_dirs, font_face_css
    from mxpublish.errors import RenderError
    from mxpublish.render.pdf import render_pdf

    language = html.escape(publication.metadata.language)
    pages = "".join(f'<div class="copy"><p>{html.escape(copy.line)}</p></div>' for copy in copies)
    document = (
        f'<!DOCTYPE html><html lang="{language}"><head><title>copies</title></head>'
        f"<body>{pages}</body></html>"
    )
    bold_sans = [f for f in FACES if f.family == "Source Sans Pro" and f.weight == 700]
    css = font_face_css(lambda face: face.path.resolve().as_uri(), bold_sans) + STAMP_CSS % {
        "width": width,
        "height": height,
    }
    result = render_pdf(publication, document, css, roots=font_dirs(), variant="none")
    if result.diagnostics or result.pages != len(copies):
        problems = "; ".join(d.message for d in result.diagnostics) or "page count"
        raise RenderError(error("COPIES-STAMP", f"could not set the copy lines: {problems}"))
    return result.data


def stamp_copies(publication: Publication, pdf: bytes, copies: tuple[Copy, ...]) -> list[bytes]:
    """The copies of ``pdf``, in order: each page gets its copy line as an artifact.

    Deterministic (pypdf keeps the document ID and metadata of ``pdf``); a copy's bytes depend
    on ``pdf`` and its own line only. The pages' own content, the structure tree and the
    outline are not touched.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject

    book = PdfReader(io.BytesIO(pdf))  # parsed once, cloned for each copy
    box = book.pages[0].mediabox
    results = []
    for copy in copies:
        # One stamp document per copy, so a copy's bytes depend on its own line only (the
        # font subset of a shared one would change with the other recipients' names).
        data = stamp_pdf(publication, (copy,), float(box.width), float(box.height))
        stamp = PdfWriter(clone_from=io.BytesIO(data)).pages[0]
        contents = stamp.get_contents()
        wrapped = (
            _ARTIFACT_OPEN
            + (contents.get_data() if contents is not None else b"")
            + _ARTIFACT_CLOSE
        )
        writer = PdfWriter(clone_from=book)
        for page in writer.pages:
            # merge_page edits the merged page's content in place: give it a fresh one each time
            raw = DecodedStreamObject()
            raw.set_data(wrapped)
            stamp.replace_contents(raw)  # type: ignore[arg-type]  # any stream object will do
            page.merge_page(stamp)
            page.compress_content_streams()
        out = io.BytesIO()
        writer.write(out)
        results.append(out.getvalue())
    return results
