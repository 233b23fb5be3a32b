"""Write a PDF through qpdf so that validators read every stream's length one way.

qpdf writes an LF before ``endstream``; after stream data that ends with CR, a validator
reads CR LF as the end-of-line marker and finds the stream one byte shorter than its
/Length (``page``: PDFA2A-STREAM-LENGTH-001; conformance.py fixes the same in WeasyPrint's
own writer). Flate data ends with a checksum of what it encodes, so about 1 stream in 256
ends with CR, and compressing it again does not help.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream


def _streams_ending_with_cr(objects: Iterable[pikepdf.Object]) -> list[pikepdf.Stream]:
    """The streams among ``objects`` whose data ends with CR, each once; not the XMP, which
    PDF/A wants unfiltered (it ends with its packet trailer)."""
    found = {
        obj.objgen: obj
        for obj in objects
        if isinstance(obj, Stream)
        and obj.get("/Type") != "/Metadata"
        and obj.read_raw_bytes().endswith(b"\r")
    }
    return list(found.values())


def _run_length_wrap(stream: pikepdf.Stream) -> None:
    """Wrap ``stream``'s data in RunLengthDecode, whose data ends with its EOD byte (128).

    The data goes in literal runs of up to 128 bytes (1 byte in 128 more). qpdf leaves the
    filter alone, where it strips ASCIIHex or ASCII85 when it compresses.
    """
    raw = stream.read_raw_bytes()
    runs = (raw[start : start + 128] for start in range(0, len(raw), 128))
    encoded = b"".join(bytes([len(run) - 1]) + run for run in runs) + bytes([128])
    filters = stream.get("/Filter", Array())
    filters = filters if isinstance(filters, Array) else Array([filters])
    parms = stream.get("/DecodeParms")
    if parms is not None and not isinstance(parms, Array):
        parms = Array([parms])
    stream.write(
        encoded,
        filter=Array([Name.RunLengthDecode, *filters]),
        decode_parms=None if parms is None else Array([None, *parms]),
    )


def _save(pdf: pikepdf.Pdf, version: str, *, object_streams: bool) -> bytes:
    """``pdf`` written by qpdf, the ID's first half kept and the second a digest of the
    content (as WeasyPrint does). Without object streams, stream data is written as it is;
    with them, qpdf compresses the object streams and any unfiltered stream but the XMP."""
    buffer = io.BytesIO()
    pdf.save(
        buffer,
        force_version=version,
        fix_metadata_version=False,  # it would rewrite the XMP with today's date
        deterministic_id=True,
        compress_streams=object_streams,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        object_stream_mode=pikepdf.ObjectStreamMode.generate
        if object_streams
        else pikepdf.ObjectStreamMode.disable,
    )
    return buffer.getvalue()


def write_unambiguous(pdf: pikepdf.Pdf, version: str) -> bytes:
    """``pdf`` as PDF ``version``, with object streams (a tagged 600-page book is four times
    as large without them: they hold its structure elements), no stream data ending in CR.

    Streams whose data ends with CR are wrapped first. qpdf compresses the object streams
    as it writes them, and about 1 in 256 then ends with CR: each such stream gets /R 0 on
    one structure element (the default revision: other bytes, same meaning) and the file is
    written again, which settles in a round or two; should it not, the file is written
    without object streams. Deterministic: same ``pdf``, same bytes.
    """
    for stream in _streams_ending_with_cr(pdf.objects):
        _run_length_wrap(stream)
    data = _save(pdf, version, object_streams=True)
    for _ in range(8):
        written = pikepdf.Pdf.open(io.BytesIO(data))
        xref = written.get_xref_table()
        # streams are never inside object streams: look at the objects outside them only
        outside = (written.get_object(objgen) for objgen, at in xref.items() if at.type == 1)
        ambiguous = _streams_ending_with_cr(outside)
        if not ambiguous:
            return data
        for stream in ambiguous:
            if stream.get("/Type") not in ("/ObjStm", "/XRef"):
                _run_length_wrap(stream)  # qpdf compressed it: wrap and keep it
            elif not _restate_revision(written, xref, stream):
                return _save(pdf, version, object_streams=False)
        data = _save(written, version, object_streams=True)
    return _save(pdf, version, object_streams=False)


def _restate_revision(
    pdf: pikepdf.Pdf, xref: dict[tuple[int, int], pikepdf.XrefEntry], stream: pikepdf.Stream
) -> bool:
    """Set the default /R 0 on a structure element in object stream ``stream`` (for the
    cross-reference stream, anywhere: the offsets after it move); False if there is none."""
    for objgen, entry in xref.items():
        if entry.type != 2:
            continue
        if stream.get("/Type") == "/ObjStm" and entry.obj_stream_number != stream.objgen[0]:
            continue
        element = pdf.get_object(objgen)
        is_element = isinstance(element, Dictionary) and element.get("/Type") == "/StructElem"
        if is_element and "/R" not in element:
            element.R = 0
            return True
    return False
