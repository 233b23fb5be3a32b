"""Print HTML → PDF with WeasyPrint: laid out once, resources confined to the project."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mxpublish.errors import Diagnostic, RenderError, UsageError, error, warning
from mxpublish.model import Publication

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3u", "none")


@dataclass(frozen=True)
class PageAnchor:
    """Where a named anchor landed: 1-based page number."""

    anchor: str
    page: int


@dataclass(frozen=True)
class PdfResult:
    data: bytes
    pages: int
    anchors: tuple[PageAnchor, ...]
    diagnostics: tuple[Diagnostic, ...]


def _fetcher_class() -> type:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        """Serves ``file:`` URLs inside the allowed roots and ``data:`` URLs; refuses the rest.

        Refusals raise FatalURLFetchingError so that the build stops with a clear message
        instead of WeasyPrint logging and leaving the resource out.
        """

        def __init__(self, roots: Sequence[Path]):
            super().__init__(allowed_protocols={"file", "data"})
            self.roots = tuple(r.resolve() for r in roots)

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise FatalURLFetchingError(
                    f"refused to fetch {url!r}: builds never use the network"
                )
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise FatalURLFetchingError(f"refused to read {path}: outside the project")
            shown = path.relative_to(self.roots[0]) if path.is_relative_to(self.roots[0]) else path
            if not path.exists():
                raise FatalURLFetchingError(f"cannot read {shown}: no such file")
            if not path.is_file():  # a directory or a named pipe (which would block)
                raise FatalURLFetchingError(f"cannot read {shown}: not a regular file")
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise FatalURLFetchingError(f"cannot read {shown}: {exc.strerror}") from exc
            return URLFetcherResponse(path.as_uri(), body)

    return ProjectFetcher


@contextmanager
def _captured_logs() -> Iterator[list[logging.LogRecord]]:
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


def render_pdf(
    publication: Publication,
    html: str,
    css: str,
    *,
    roots: Sequence[Path],
    variant: str = "pdf/ua-1",
) -> PdfResult:
    """Lay out ``html`` with ``css`` and return the PDF bytes, page count and anchor pages.

    ``roots`` are the only directories resources may come from. Raises RenderError when
    WeasyPrint refuses a resource or fails.
    """
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    if variant not in PDF_VARIANTS:
        raise UsageError(
            error(
                "PDF-VARIANT",
                f"unknown PDF variant {variant!r}",
                hint="choose one of " + ", ".join(PDF_VARIANTS),
            )
        )
    fetcher = _fetcher_class()([publication.root, *roots])
    base_url = publication.root.as_uri() + "/"
    with _captured_logs() as records:
        try:
            font_config = FontConfiguration()  # @font-face rules only work through it
            stylesheet = weasyprint.CSS(
                string=css, base_url=base_url, url_fetcher=fetcher, font_config=font_config
            )
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                stylesheets=[stylesheet], font_config=font_config
            )
            anchors = tuple(
                PageAnchor(name, number)
                for number, page in enumerate(document.pages, 1)
                for name in page.anchors
            )
            identifier = hashlib.sha256(
                (publication.metadata.identifier + html + css).encode()
            ).hexdigest()[:32]
            options: dict[str, object] = {"pdf_identifier": identifier.encode()}
            if variant != "none":
                options["pdf_variant"] = variant
            data = document.write_pdf(**options)
        except FatalURLFetchingError as exc:
            raise RenderError(error("RESOURCE-REFUSED", str(exc))) from exc
    diagnostics = tuple(warning("PDF-RENDER", record.getMessage()) for record in records)
    return PdfResult(data, len(document.pages), anchors, diagnostics)
