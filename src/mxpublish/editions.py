"""The editions mxpublish writes, each named once: every module reads this table.

An edition has four names that used to be spelt out in several places: the *format* the
command line and ``build: formats`` use (``pdf``), the *medium* its document is assembled as
and whose stylesheet it reads (``print`` → ``print.css``), the *render pass* its sections go
through (``print`` sets notes at the page foot, ``screen`` gathers them at the end) and the
*suffix* of the file it writes. To add an edition, add a row here, then its renderer.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The two renderings of a section's tokens (source/rendering.py).
PRINT_PASS = "print"
SCREEN_PASS = "screen"

#: What ``--pdf-variant`` accepts; the first is the default everywhere. Each passes an
#: independent validator (``mxpublish verify``) for every conformance it claims:
VARIANT_PROFILES: dict[str, tuple[str, ...]] = {
    "pdf/ua-1": ("ua1",),
    "pdf/ua-1+a-2a": ("ua1", "2a"),  # tagged and archival: PDF/A-2a + PDF/UA's identifier
    "pdf/a-2b": ("2b",),
    "pdf/a-2u": ("2u",),
    "pdf/a-3u": ("3u",),
    "none": (),
}
PDF_VARIANTS = tuple(VARIANT_PROFILES)
DEFAULT_PDF_VARIANT = PDF_VARIANTS[0]


@dataclass(frozen=True)
class Edition:
    """One kind of output: its format name, medium, render pass and file suffix.

    ``also_reads`` names other stylesheets its output depends on (the EPUB's page list comes
    from the print layout), so a change to them makes it stale too.
    """

    format: str
    medium: str
    render_pass: str
    suffix: str
    toc_depth: int
    also_reads: tuple[str, ...] = ()

    @property
    def stylesheet(self) -> str:
        """The theme (and project) stylesheet of this medium, e.g. ``print.css``."""
        return f"{self.medium}.css"

    @property
    def reads(self) -> frozenset[str]:
        """The medium stylesheets this edition's output depends on."""
        return frozenset({self.stylesheet, *self.also_reads})


PDF = Edition("pdf", "print", PRINT_PASS, ".pdf", toc_depth=1)
EPUB = Edition("epub", "epub", SCREEN_PASS, ".epub", toc_depth=1, also_reads=("print.css",))
HTML = Edition("html", "web", SCREEN_PASS, ".html", toc_depth=2)

EDITIONS: tuple[Edition, ...] = (PDF, EPUB, HTML)
#: The formats in the order they are built and listed.
FORMATS: tuple[str, ...] = tuple(e.format for e in EDITIONS)
MEDIA: tuple[str, ...] = tuple(e.medium for e in EDITIONS)
#: Every medium stylesheet (base.css, code.css and custom.css are read by all).
MEDIUM_STYLESHEETS: frozenset[str] = frozenset(e.stylesheet for e in EDITIONS)


def edition(format: str) -> Edition:
    """The edition of a format name; raises KeyError for an unknown one."""
    for candidate in EDITIONS:
        if candidate.format == format:
            return candidate
    raise KeyError(format)
