"""PAdES signatures on the bundle's PDFs (pyHanko; ``pip install 'mxpublish[sign]'``).

The signature is invisible: a signature field whose widget is hidden and has no size, so the
pages look as laid out and PDF/UA has no unlabelled form field to complain about (the field
carries a ``TU`` description, the page ``/Tabs /S``). It is a PAdES baseline B-B signature
(``ETSI.CAdES.detached``, SHA-256, signing-certificate attribute) appended as an incremental
update: the signed bytes are the unsigned PDF's, followed by the signature.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from mxpublish.errors import UsageError, error

FIELD_NAME = "Signature1"


def load_signer(key: Path, cert: Path) -> Any:
    """pyHanko's signer for the PEM private ``key`` (unencrypted) and its ``cert``, loaded
    before anything is built so that a bad file stops the run at once.

    Raises UsageError when pyHanko is not installed or the key or certificate cannot be read.
    """
    try:
        from pyhanko.sign import signers
    except ImportError as exc:
        raise UsageError(
            error(
                "SIGN-UNAVAILABLE",
                "signing needs pyHanko, which is not installed",
                hint="pip install 'mxpublish[sign]'",
            )
        ) from exc
    for path in (key, cert):
        if not path.is_file():
            raise UsageError(error("SIGN-FILE", "no such file", str(path)))
    signer = signers.SimpleSigner.load(str(key), str(cert))
    if signer is None:
        raise UsageError(
            error(
                "SIGN-FILE",
                "cannot load the key and certificate (PEM files, key without a passphrase)",
                str(key),
            )
        )
    return signer


def sign_pdf(data: bytes, signer: Any, *, reason: str | None = None) -> bytes:
    """``data`` signed by ``signer`` (from load_signer): an invisible PAdES B-B signature."""
    from pyhanko.pdf_utils.generic import NameObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page[NameObject("/Tabs")] = NameObject("/S")  # PDF/UA: a page with an annotation
    writer.update_container(page)
    spec = fields.SigFieldSpec(
        FIELD_NAME,
        readable_field_name="Digital signature of this edition",
        invis_sig_settings=fields.InvisSigSettings(set_print_flag=False, set_hidden_flag=True),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    out = signers.sign_pdf(writer, meta, signer=signer, new_field_spec=spec)
    return out.getvalue()
