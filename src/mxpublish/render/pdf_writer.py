"""Write a PDF object by object from the objects of other PDFs, renumbered.

join.py streams a book's parts into one PDF with this: pikepdf (qpdf) parses a part and
hands its objects over; they are written here as PDF syntax, scalars escaped by qpdf
(``unparse``), stream data as it is encoded, references under the output's numbers.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from array import array
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import BinaryIO

import pikepdf
from pikepdf import Name, ObjectType

#: A subset font's name: a tag of six capitals and a plus sign before the PostScript name.
_SUBSET_TAG = re.compile(r"/[A-Z]{6}\+")
_DICTIONARY, _ARRAY, _STREAM = ObjectType.dictionary, ObjectType.array, ObjectType.stream
_OBJECT = type(pikepdf.Object.parse(b"/Type"))
#: Objects per object stream (as qpdf and WeasyPrint pack them, near enough).
_PER_STREAM = 200


@cache
def pdf_name(key: str) -> bytes:
    """A name as PDF syntax, escaped by qpdf."""
    return bytes(Name(key).unparse())


@cache
def key_bytes(key: str) -> bytes:
    """A dictionary key and the space after it."""
    return pdf_name(key) + b" "


class Output:
    """The output file as it is written: header, objects, then the cross-reference section.

    From PDF 1.5 on, objects other than streams go into object streams of
    ``_PER_STREAM`` each, compressed, and the cross-reference section is a stream too, as
    WeasyPrint writes them: a tagged book is mostly structure elements, which compress to a
    fourth. Before 1.5, the objects and a classic table are written as they are.
    """

    def __init__(self, stream: BinaryIO, version: str) -> None:
        self.stream, self.position = stream, 0
        #: by object number: byte offset, or index in its object stream (``containers``)
        self.offsets = array("Q", [0])
        self.containers = array("Q", [0])
        self.packed: list[tuple[int, bytes]] | None = [] if version >= "1.5" else None
        self.digest = hashlib.md5(usedforsecurity=False)
        self.write(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version.encode())  # binary comment

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.position += len(data)
        self.digest.update(data)

    def allocate(self) -> int:
        """A new object number, to be written later."""
        self.offsets.append(0)
        self.containers.append(0)
        return len(self.offsets) - 1

    def object(self, number: int, body: bytes, raw: bytes | None = None) -> None:
        """Write object ``number``: ``body``, and ``raw`` stream data if a stream.

        Data ending with CR gets CR LF before ``endstream``: after a lone LF a validator
        reads CR LF as the end-of-line marker and finds the stream one byte shorter than its
        /Length (conformance.py does the same in WeasyPrint's writer)."""
        if raw is None and self.packed is not None:
            self.packed.append((number, body))
            if len(self.packed) == _PER_STREAM:
                self._pack()
            return
        self.offsets[number] = self.position
        if raw is None:
            self.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
            return
        self.write(b"%d 0 obj\n%s\nstream\n" % (number, body))
        self.write(raw)
        self.write(b"\r\nendstream\nendobj\n" if raw.endswith(b"\r") else b"\nendstream\nendobj\n")

    def _pack(self) -> None:
        """Write the objects held back as one object stream."""
        if not self.packed:
            return
        objects, self.packed = self.packed, []
        container, at, pairs = self.allocate(), 0, []
        for index, (number, body) in enumerate(objects):
            self.offsets[number], self.containers[number] = index, container
            pairs.append(b"%d %d" % (number, at))
            at += len(body) + 1
        header = b" ".join(pairs) + b"\n"
        data = zlib.compress(header + b"\n".join(body for _, body in objects))
        entries = (len(objects), len(header), len(data))
        body = b"<</Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d>>" % entries
        self.object(container, body, data)

    def finish(self, root: int, info: bytes | None, identifier: bytes) -> None:
        """The cross-reference section and trailer; the ID is ``[identifier, digest]`` of
        what was written, as WeasyPrint writes it."""
        if self.packed is not None:
            self._pack()
        missing = [n for n in range(1, len(self.offsets)) if not self.offsets[n]]
        assert all(self.containers[n] for n in missing), "an object referred to is not written"
        digest = self.digest.hexdigest().encode()
        trailer = b"/Root %d 0 R /ID [%s <%s>]" % (
            root,
            pikepdf.String(identifier).unparse(),
            digest,
        )
        trailer += b" /Info " + info if info else b""
        if self.packed is None:
            self._table(trailer)
        else:
            self._stream(trailer)

    def _table(self, trailer: bytes) -> None:
        start, size = self.position, len(self.offsets)
        self.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for first in range(1, size, 4096):  # a few entries at a time: little memory
            chunk = self.offsets[first : first + 4096]
            self.write(b"".join([b"%010d 00000 n \n" % at for at in chunk]))
        self.write(b"trailer\n<</Size %d %s>>\nstartxref\n%d\n%%%%EOF\n" % (size, trailer, start))

    def _stream(self, trailer: bytes) -> None:
        number = self.allocate()
        start, size = self.position, len(self.offsets)
        assert start < 2**32, "offsets beyond 4 GB"
        self.offsets[number] = start
        row = struct.Struct(">BIH").pack
        rows = [row(0, 0, 65535)] + [
            row(2, container, at) if container else row(1, at, 0)
            for at, container in zip(self.offsets[1:], self.containers[1:], strict=True)
        ]
        data = zlib.compress(b"".join(rows))
        fields = b"/Type /XRef /Size %d /W [1 4 2] /Filter /FlateDecode /Length %d " % (
            size,
            len(data),
        )
        self.object(number, b"<<" + fields + trailer + b">>", data)
        self.write(b"startxref\n%d\n%%%%EOF\n" % start)


class PartObjects:
    """The objects of one open PDF, written under new numbers as they are reached from
    those given to number() or value(). ``refs`` may send references elsewhere: to
    objects of the output that stand in for some of the PDF's, which are not written."""

    def __init__(self, out: Output, pdf: pikepdf.Pdf) -> None:
        self.out, self.pdf = out, pdf
        self.numbers: dict[tuple[int, int], int] = {}
        #: references to write: to objects of the part, or to the book's objects instead
        self.refs: dict[tuple[int, int], bytes] = {}
        self.extra: dict[tuple[int, int], dict[str, bytes]] = {}  # entries set on write
        self.queue: list[pikepdf.Object] = []
        self.key: Callable[[int], int] = lambda key: key  # a parent tree key in the book
        #: an object drain() holds back, as its number and entries, rather than write
        self.deferred: tuple[int, int] | None = None
        self.held: tuple[int, list[bytes]] | None = None
        self.tags: dict[tuple[int, int], str | None] = {}

    def number(self, obj: pikepdf.Object) -> int:
        """The new number of indirect ``obj``, which is written when the queue drains."""
        objgen = obj.objgen
        number = self.numbers.get(objgen)
        if number is None:
            number = self.numbers[objgen] = self.out.allocate()
            self.refs.setdefault(objgen, b"%d 0 R" % number)
            self.queue.append(obj)
        return number

    def value(self, obj: object) -> bytes:
        """``obj`` (pikepdf converts scalars to Python) as PDF syntax with new numbers."""
        kind = type(obj)
        if kind is _OBJECT:
            assert isinstance(obj, pikepdf.Object)
            if obj.is_indirect:
                ref = self.refs.get(obj.objgen)
                return ref if ref is not None else b"%d 0 R" % self.number(obj)
            return self.direct(obj)
        if kind is int:
            return b"%d" % obj  # type: ignore[str-format]
        if kind is bool:
            return b"true" if obj else b"false"
        if obj is None:
            return b"null"
        if kind is Decimal:  # pikepdf's own Decimal to real rounds 1E-7 to 0
            return format(obj, "f").encode()
        assert isinstance(obj, pikepdf.Object)  # a subclass: Name, Dictionary…
        return self.value(obj) if obj.is_indirect else self.direct(obj)

    def direct(self, obj: pikepdf.Object) -> bytes:
        code = obj._type_code
        if code == _DICTIONARY:
            return b"<<" + b" ".join(self.entries(obj)) + b">>"
        if code == _ARRAY:
            return b"[" + b" ".join([self.value(item) for item in obj]) + b"]"
        return bytes(obj.unparse())  # names, strings: qpdf escapes them

    def entries(self, obj: pikepdf.Object, extra: dict[str, bytes] | None = None) -> list[bytes]:
        """A dictionary's (or stream's) entries, ``extra`` set over them."""
        found = []
        value = self.value
        for key, item in obj.items():
            if key in _HOOKS:
                if extra and key in extra:
                    continue
                data = _HOOKS[key](self, obj, item)
                found.append(key_bytes(key) + (value(item) if data is None else data))
            elif not extra or key not in extra:
                found.append(key_bytes(key) + value(item))
        if extra:
            found += [key_bytes(key) + data for key, data in extra.items()]
        return found

    def drain(self) -> None:
        """Write every object reached and not yet written."""
        out = self.out
        while self.queue:
            obj = self.queue.pop()
            objgen = obj.objgen
            number, extra = self.numbers[objgen], self.extra.get(objgen)
            if obj._type_code == _STREAM:
                raw = obj.read_raw_bytes()
                entries = self.entries(obj, {**(extra or {}), "/Length": b"%d" % len(raw)})
                out.object(number, b"<<" + b" ".join(entries) + b">>", raw)
            elif objgen == self.deferred:
                self.held = (number, self.entries(obj, extra))
            elif obj._type_code == _DICTIONARY:
                out.object(number, b"<<" + b" ".join(self.entries(obj, extra)) + b">>")
            else:
                out.object(number, self.direct(obj))

    def subset_tag(self, descriptor: pikepdf.Object) -> str | None:
        """A tag of the subset's own, from its name and font program (None: not a subset).

        WeasyPrint derives a subset's tag (``ABCDEF+``) from the face, not from the glyphs
        kept, so parts that use different glyphs of one face carry different subsets under
        one name. ISO 32000-1 (9.6.4) wants different tags for different subsets: a viewer
        that caches fonts by name would draw one part's text with another's glyphs."""
        objgen = descriptor.objgen
        if objgen not in self.tags:
            name = str(descriptor.get("/FontName", ""))
            keys = [key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor]
            tag = None
            if _SUBSET_TAG.match(name) and keys:
                program = descriptor[keys[0]].read_raw_bytes()
                digest = hashlib.sha256(name.encode() + program).digest()
                tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
            self.tags[objgen] = tag
        return self.tags[objgen]


def _struct_parent(part: PartObjects, obj: pikepdf.Object, value: object) -> bytes | None:
    """Pages' /StructParents, annotations' /StructParent: keys into the book's tree."""
    return b"%d" % part.key(value) if type(value) is int else None


def _font_name(part: PartObjects, obj: pikepdf.Object, value: object) -> bytes | None:
    tag = part.subset_tag(obj)
    return None if tag is None else bytes(Name(f"/{tag}{str(value)[7:]}").unparse())


def _base_font(part: PartObjects, obj: pikepdf.Object, value: object) -> bytes | None:
    font = obj.DescendantFonts[0] if "/DescendantFonts" in obj else obj
    descriptor = font.get("/FontDescriptor")
    if descriptor is None or not _SUBSET_TAG.match(str(value)):
        return None
    tag = part.subset_tag(descriptor)
    return None if tag is None else bytes(Name(f"/{tag}{str(value)[7:]}").unparse())


_HOOKS = {
    "/StructParents": _struct_parent,
    "/StructParent": _struct_parent,
    "/FontName": _font_name,
    "/BaseFont": _base_font,
}
