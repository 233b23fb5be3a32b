"""Saddle-stitch imposition: the print PDF as two-up booklet sheets an office can print and fold."""

from __future__ import annotations

import io


def booklet_order(pages: int) -> list[tuple[int | None, int | None]]:
    """Sheet sides as (left, right) 0-based page indexes, padded with blanks (None) to a
    multiple of four. Printed duplex (flip on the short edge) and folded, the sheets read in
    order: the first side holds the last and first pages, its back the second and the
    second-to-last, and so on inwards."""
    total = -(-pages // 4) * 4

    def page(index: int) -> int | None:
        return index if index < pages else None

    sides: list[tuple[int | None, int | None]] = []
    for sheet in range(total // 4):
        sides.append((page(total - 1 - 2 * sheet), page(2 * sheet)))
        sides.append((page(2 * sheet + 1), page(total - 2 - 2 * sheet)))
    return sides


def impose_booklet(pdf: bytes) -> bytes:
    """Place the pages of ``pdf`` two-up on landscape sheets of the same paper, in booklet
    order, each page scaled to half a sheet and centred. Deterministic: no dates, no random ID."""
    from pypdf import PdfReader, PdfWriter, Transformation

    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    page_w, page_h = float(box.width), float(box.height)
    sheet_w, sheet_h = page_h, page_w  # landscape sheet of the same paper
    scale = min((sheet_w / 2) / page_w, sheet_h / page_h)
    offset_x = (sheet_w / 2 - page_w * scale) / 2
    offset_y = (sheet_h - page_h * scale) / 2
    writer = PdfWriter()
    for left, right in booklet_order(len(reader.pages)):
        side = writer.add_blank_page(sheet_w, sheet_h)
        for slot, index in enumerate((left, right)):
            if index is None:
                continue
            transform = (
                Transformation().scale(scale).translate(slot * sheet_w / 2 + offset_x, offset_y)
            )
            side.merge_transformed_page(reader.pages[index], transform)
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items() if k != "/Producer"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
