"""Laid-out parts of a long print edition, kept between builds (see render/parts.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from mxpublish import __version__
from mxpublish.errors import Diagnostic
from mxpublish.model import PageStart
from mxpublish.render.pdf import PdfResult

if TYPE_CHECKING:
    from mxpublish.render.parts import Numbers, Part


class PartCache:
    """Laid-out parts on disk by the digest of everything that decides their bytes, and the
    numbers of the last build (the next build's first guess)."""

    def __init__(self, folder: Path, write: Callable[[Path, bytes], None]):
        self.folder = folder
        self.write = write

    def get(self, key: str, *, need_pdf: bool) -> PdfResult | None:
        meta = self.folder / f"{key}.json"
        pdf = self.folder / f"{key}.pdf"
        try:
            fields = json.loads(meta.read_text(encoding="utf-8"))
            data = pdf.read_bytes() if fields["written"] else b""
        except (OSError, ValueError, KeyError):
            return None
        if need_pdf and not fields["written"]:
            return None
        return PdfResult(
            data,
            fields["pages"],
            tuple(PageStart(**start) for start in fields["starts"]),
            tuple(Diagnostic(**d) for d in fields["diagnostics"]),
            tuple((name, page) for name, page in fields["anchors"]),
        )

    def put(self, key: str, result: PdfResult) -> None:
        fields = {
            "written": bool(result.data),
            "pages": result.pages,
            "starts": [asdict(start) for start in result.page_starts],
            "diagnostics": [asdict(d) for d in result.diagnostics],
            "anchors": [list(pair) for pair in result.anchors],
        }
        if result.data:
            self.write(self.folder / f"{key}.pdf", result.data)
        self.write(self.folder / f"{key}.json", json.dumps(fields).encode())

    def numbers(self, count: int) -> Numbers | None:
        from mxpublish.render.parts import Numbers  # parts.py imports this module

        try:
            fields = json.loads((self.folder / "numbers.json").read_text(encoding="utf-8"))
            numbers = Numbers(
                tuple(fields["offsets"]), fields["total"], tuple(map(tuple, fields["anchors"]))
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return numbers if len(numbers.offsets) == count else None

    def probe(self, part: Part, css: str, run: Callable[[], bool]) -> bool:
        """``run()``'s answer for this head and stylesheet, asked once."""
        main = part.html.find("<main")
        key = hashlib.sha256(f"{__version__}\0{css}\0{part.html[:main]}".encode()).hexdigest()
        path = self.folder / "probe.json"
        try:
            known = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict) or not isinstance(known.get(key), bool):
            known = {key: run()}
            self.write(path, json.dumps(known).encode())
        return bool(known[key])

    def finish(self, numbers: Numbers, keys: Iterable[str]) -> None:
        """Keep the numbers for the next build and only the parts of its final layout."""
        fields = {"offsets": numbers.offsets, "total": numbers.total, "anchors": numbers.anchors}
        self.write(self.folder / "numbers.json", json.dumps(fields).encode())
        keep = set(keys)
        for path in self.folder.glob("*.*"):
            if path.stem not in keep and path.name not in ("numbers.json", "probe.json"):
                path.unlink(missing_ok=True)
