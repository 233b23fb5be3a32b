"""What WeasyPrint runs with: only the shipped fonts, and its log records collected so they
become diagnostics (its one-line-per-character warnings about missing glyphs folded into one)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources

from mxpublish.errors import Diagnostic, warning

#: WeasyPrint's warning for a character drawn as a box (.notdef), logged at each occurrence.
_NOTDEF_RE = re.compile(r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.+)"')
#: How many of the boxed characters the folded warning lists.
BOXES_LISTED = 20


@contextmanager
def captured_logs() -> Iterator[list[logging.LogRecord]]:
    """Collect WeasyPrint's warnings (missing fonts, bad CSS) so they become diagnostics."""
    records: list[logging.LogRecord] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("weasyprint")
    handler = Collector(level=logging.WARNING)
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


def folded(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    """``diagnostics`` with WeasyPrint's warnings about characters no font has (one per
    character) folded into one, at the first one's place, that lists them: a book in a
    script the fonts lack would otherwise print thousands of lines."""
    boxed: dict[str, None] = {}
    kept: list[Diagnostic | None] = []
    for diagnostic in diagnostics:
        match = _NOTDEF_RE.match(diagnostic.message) if diagnostic.code == "PDF-RENDER" else None
        if match is None:
            kept.append(diagnostic)
            continue
        if not boxed:
            kept.append(None)
        boxed.setdefault(match.group(1))
    if not boxed:
        return tuple(diagnostics)
    listed = " ".join(list(boxed)[:BOXES_LISTED])
    if len(boxed) > BOXES_LISTED:
        listed += f" and {len(boxed) - BOXES_LISTED} more"
    what = "1 character" if len(boxed) == 1 else f"{len(boxed)} distinct characters"
    summary = warning(
        "PDF-RENDER",
        f"{what} that no embedded font has printed as {'a box' if len(boxed) == 1 else 'boxes'}"
        f": {listed}",
        hint="`mxpublish check` says where each is (GLYPH-MISSING)",
    )
    return tuple(summary if d is None else d for d in kept)


@contextmanager
def only_shipped_fonts() -> Iterator[None]:
    """Point Fontconfig at the theme's fonts.conf, which names no font directory, while
    WeasyPrint loads its configuration (``FontConfiguration()`` reads FONTCONFIG_FILE): the
    PDF then has only the @font-face fonts, and a character they lack is a box on every
    machine, never a glyph from whatever fonts this machine has."""
    conf = resources.files("mxpublish").joinpath("theme", "fonts.conf")
    with resources.as_file(conf) as path:
        old = os.environ.get("FONTCONFIG_FILE")
        os.environ["FONTCONFIG_FILE"] = str(path)
        try:
            yield
        finally:
            if old is None:
                del os.environ["FONTCONFIG_FILE"]
            else:
                os.environ["FONTCONFIG_FILE"] = old
