"""Join the PDFs of a book laid out in parts into one tagged PDF, one part at a time.

WeasyPrint keeps every laid-out page in memory, so a long book is laid out part by part and
each part written as a PDF of its own (same variant, page numbers continued). This module
puts them back together as if WeasyPrint had written one document: pages in order, one
structure tree with a renumbered parent tree, the outlines one after another, one sorted
name tree of destinations (without the parts' *stubs*: empty elements that only carry the id
of a target in another part so that links to it are written as named destinations), and
part 0's catalog entries and document information.

The join streams: pikepdf (qpdf) parses one part at a time, and its objects are written
straight to the output under new numbers, then the part is closed. qpdf holds every object
it has read at some 4 KB each, so holding all parts at once (160,000 objects for a 644-page
book) would take 700 MB. Only what a part's pages, structure elements, parent tree, outline
items and destinations reach is written; the objects rebuilt once for the whole book
(catalog, page tree, structure tree root and Document, parent tree, outline root, name
trees) are written at the end under numbers handed out when first referred to.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator, Sequence
from typing import BinaryIO

import pikepdf
from pikepdf import NumberTree

from mxpublish.render.pdf_writer import Output, PartObjects, pdf_name

#: Catalog entries built from every part; the others (Lang, MarkInfo, ViewerPreferences,
#: Metadata, OutputIntents…) are taken from part 0: all parts have them from the same
#: metadata. Page labels and form fields would need joining too; WeasyPrint writes neither.
_JOINED_CATALOG_KEYS = {"/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/Names", "/Dests"}
_UNJOINED_CATALOG_KEYS = {"/PageLabels", "/AcroForm"}
#: Structure tree root entries that are rebuilt rather than copied.
_REBUILT_ROOT_KEYS = {"/Type", "/K", "/ParentTree", "/ParentTreeNextKey", "/RoleMap", "/ClassMap"}
#: Page attributes a page may inherit from its page tree nodes (ISO 32000-1, 7.7.3.4).
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class _Book:
    """What is joined across the parts, kept between them: the numbers of the objects
    rebuilt for the whole book and their entries, as PDF syntax."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.numbers: dict[str, int] = {}
        self.pages: list[int] = []
        self.document_kids: list[bytes] = []
        self.parent_tree: list[tuple[int, bytes]] = []
        self.next_key = 0
        self.role_map: dict[str, bytes] = {}
        self.class_map: dict[str, bytes] = {}
        self.outline_count = 0
        self.outline_first: int | None = None
        self.outline_last: tuple[int, list[bytes]] | None = None  # written with its /Next
        self.destinations: dict[bytes, bytes] = {}
        #: part 0's entries of the catalog, /Names, structure root and Document; its Info
        self.catalog: list[bytes] = []
        self.names: list[bytes] = []
        self.struct_root: list[bytes] = []
        self.document: list[bytes] = []
        self.info: bytes | None = None

    def number(self, name: str) -> int:
        """The number of the book's ``name`` object (pages, document…), handed out now."""
        if name not in self.numbers:
            self.numbers[name] = self.out.allocate()
        return self.numbers[name]

    def ref(self, name: str) -> bytes:
        return b"%d 0 R" % self.number(name)


def join_pdfs(
    parts: Sequence[bytes],
    *,
    identifier: bytes,
    stubs: Sequence[Collection[str]] = (),
    drop_first: Sequence[bool] = (),
) -> bytes:
    """One PDF from ``parts`` (PDF bytes in reading order, all of one WeasyPrint variant).

    ``stubs[i]`` names the destinations of part ``i`` that are stubs; they are left out, so
    each name leads to the part that holds its real target. A part whose ``drop_first`` is
    true loses its first page and the structure elements WeasyPrint made for it (parts.py
    lays a later part out after an empty lead page). The trailer ID is ``[identifier,
    digest of the content]``, as WeasyPrint writes it. Same bytes in, same bytes out.
    Raises ValueError for no parts, more stub or drop lists than parts, a page to drop
    that has links, or parts with page labels or form fields (which would need joining).
    """
    buffer = io.BytesIO()
    write_joined(parts, buffer, identifier=identifier, stubs=stubs, drop_first=drop_first)
    return buffer.getvalue()  # no copy: BytesIO hands its buffer over


def write_joined(
    parts: Sequence[bytes],
    output: BinaryIO,
    *,
    identifier: bytes,
    stubs: Sequence[Collection[str]] = (),
    drop_first: Sequence[bool] = (),
) -> None:
    """Write the join of ``parts`` (see join_pdfs) to ``output``, one part at a time."""
    if not parts or len(stubs) > len(parts) or len(drop_first) > len(parts):
        raise ValueError(
            f"{len(parts)} PDF parts to join with {len(stubs)} lists of stubs "
            f"and {len(drop_first)} flags to drop a first page"
        )
    book: _Book | None = None
    for index, data in enumerate(parts):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if book is None:
                book = _Book(Output(output, pdf.pdf_version))
            part = PartObjects(book.out, pdf)
            skip = set(stubs[index]) if index < len(stubs) else set()
            drop = index < len(drop_first) and bool(drop_first[index])
            _join_part(book, part, first=index == 0, stubs=skip, drop=drop)
        del part, pdf  # qpdf frees a part's objects once nothing refers to it
    assert book is not None
    _finish(book, identifier)


def _join_part(
    book: _Book, part: PartObjects, *, first: bool, stubs: Collection[str], drop: bool
) -> None:
    """Write what one part adds to the book and note its entries of the book's objects."""
    pdf = part.pdf
    for key in _UNJOINED_CATALOG_KEYS & set(pdf.Root.keys()):
        raise ValueError(f"joining PDFs with {key} is not supported")
    part.refs[pdf.Root.objgen] = book.ref("catalog")
    for node in _page_tree_nodes(pdf.Root.Pages):
        part.refs[node.objgen] = book.ref("pages")
    pages = [page.obj for page in pdf.pages]
    dropped = _dropped_page(pages) if drop else None
    for page in pages:
        inherited = _inherited(page)
        if inherited:
            part.extra[page.objgen] = {key: part.value(value) for key, value in inherited.items()}
        book.pages.append(part.number(page))
    if dropped is not None:  # a destination to the lead page goes to the page after it
        part.refs[dropped.objgen] = b"%d 0 R" % book.pages[-len(pages)]
    if "/StructTreeRoot" in pdf.Root:
        _join_structure(book, part, dropped)
    _join_outlines(book, part)
    for name, destination in _destinations(pdf):
        if name not in book.destinations and _decoded(name) not in stubs:
            book.destinations[name] = part.value(destination)
    if first:
        _take_catalog(book, part)
    part.drain()
    if part.held is not None:  # the part's last top outline item
        book.outline_last = part.held


def _page_tree_nodes(node: pikepdf.Object) -> Iterator[pikepdf.Object]:
    """The page tree's inner nodes (not the pages)."""
    yield node
    for kid in node.get("/Kids", ()):
        if "/Kids" in kid:
            yield from _page_tree_nodes(kid)


def _inherited(page: pikepdf.Object) -> dict[str, object]:
    """Attributes ``page`` inherits from its page tree nodes, which are not written."""
    found: dict[str, object] = {}
    node = page
    while "/Parent" in node:
        node = node.Parent
        for key in _INHERITED:
            if key in node and key not in page and key not in found:
                found[key] = node[key]
    return found


def _dropped_page(pages: list[pikepdf.Dictionary]) -> pikepdf.Dictionary:
    """Take the first page out of ``pages``; ValueError if it has links or is the only one."""
    if len(pages) < 2:
        raise ValueError("a part whose first page is dropped needs another page")
    if pages[0].get("/Annots"):
        raise ValueError("the page to drop has links")
    return pages.pop(0)


def _join_structure(book: _Book, part: PartObjects, dropped: pikepdf.Object | None) -> None:
    """Put a part's Document kids under the book's Document, and its parent tree entries,
    their keys moved up by those the parts before used, in the book's parent tree.

    The /StructParents of its pages and /StructParent of its annotations move with them
    (a hook of PartObjects.entries). A dropped page's elements (WeasyPrint makes each page's top
    elements kids of the Document with the page as /Pg) and its parent tree key go.
    """
    pdf = part.pdf
    root = pdf.Root.StructTreeRoot
    document = _document(root)
    part.refs[root.objgen] = book.ref("struct_root")
    part.refs[document.objgen] = book.ref("document")
    dropped_key = None
    kids = _kids(document)
    if dropped is not None:
        dropped_key = dropped.get("/StructParents")
        on_dropped = [kid for kid in kids if _on_page(kid, dropped)]
        for kid in on_dropped:
            part.refs[kid.objgen] = b"null"
        kids = [kid for kid in kids if not _on_page(kid, dropped)]
    offset = book.next_key
    gap = dropped_key if isinstance(dropped_key, int) else None
    part.key = lambda key: key + offset - (gap is not None and key > gap)
    book.document_kids += [part.value(kid) for kid in kids]
    for key, value in NumberTree(root.ParentTree).items():
        if key != gap:
            book.parent_tree.append((part.key(key), part.value(value)))
    book.next_key = offset + _next_key(root) - (gap is not None)
    for entry, merged in (("/RoleMap", book.role_map), ("/ClassMap", book.class_map)):
        for name, value in root.get(entry, {}).items():
            if name not in merged:  # the first part to define a name wins
                merged[name] = part.value(value)
    if not book.document:  # the first part with a structure tree
        book.struct_root = [
            pdf_name(k) + b" " + part.value(v)
            for k, v in root.items()
            if k not in _REBUILT_ROOT_KEYS
        ]
        book.document = [
            pdf_name(k) + b" " + part.value(v) for k, v in document.items() if k not in ("/K", "/P")
        ]


def _on_page(element: object, page: pikepdf.Object) -> bool:
    return (
        isinstance(element, pikepdf.Dictionary)
        and "/Pg" in element
        and element.Pg.objgen == page.objgen
    )


def _next_key(struct_root: pikepdf.Object) -> int:
    """The first parent tree key a part leaves unused."""
    if "/ParentTreeNextKey" in struct_root:
        return int(struct_root.ParentTreeNextKey)
    return max(NumberTree(struct_root.ParentTree).keys(), default=-1) + 1


def _document(struct_root: pikepdf.Object) -> pikepdf.Object:
    """The one Document element WeasyPrint puts under the structure tree root."""
    kids = struct_root.K
    return kids[0] if isinstance(kids, pikepdf.Array) else kids


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    """An element's /K as a list (PDF allows one kid without an array)."""
    if "/K" not in element:
        return []
    kids = element.K
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _join_outlines(book: _Book, part: PartObjects) -> None:
    """Chain the part's top-level outline items after the parts' before it.

    Items keep their children, /Count (negative: closed) and destinations. The part's
    last top item waits (in the book) for the next part's first to link it as /Next.
    """
    pdf = part.pdf
    if "/Outlines" not in pdf.Root or "/First" not in pdf.Root.Outlines:
        return
    outlines = pdf.Root.Outlines
    part.refs[outlines.objgen] = book.ref("outlines")
    book.outline_count += int(outlines.get("/Count", 0))
    first, last = outlines.First, outlines.Last
    if book.outline_last is None:
        book.outline_first = part.number(first)
    else:
        number, entries = book.outline_last
        part.extra[first.objgen] = {"/Prev": b"%d 0 R" % number}
        next_entry = b"/Next %d 0 R" % part.number(first)
        book.out.object(number, b"<<" + b" ".join([*entries, next_entry]) + b">>")
    part.deferred = last.objgen
    part.number(last)


def _destinations(pdf: pikepdf.Pdf) -> Iterator[tuple[bytes, pikepdf.Object]]:
    """A part's named destinations, from its name tree and its catalog /Dests."""
    root = pdf.Root
    if "/Names" in root and "/Dests" in root.Names:
        yield from _name_tree(root.Names.Dests)
    for key, value in root.get("/Dests", {}).items():
        yield key[1:].encode(), value


def _name_tree(node: pikepdf.Object) -> Iterator[tuple[bytes, pikepdf.Object]]:
    """A name tree's keys (as their bytes) and values, in the tree's order."""
    names = list(node.get("/Names", ()))
    for key, value in zip(names[::2], names[1::2], strict=True):
        yield bytes(key), value
    for kid in node.get("/Kids", ()):
        yield from _name_tree(kid)


def _decoded(key: bytes) -> str:
    return str(pikepdf.String(key))


def _take_catalog(book: _Book, part: PartObjects) -> None:
    """Part 0's catalog entries (but those joined from every part), /Names and Info."""
    pdf = part.pdf
    for key, value in pdf.Root.items():
        if key not in _JOINED_CATALOG_KEYS:
            book.catalog.append(pdf_name(key) + b" " + part.value(value))
    for key, value in pdf.Root.get("/Names", {}).items():
        if key != "/Dests":  # attachments (PDF/A-3), if any: part 0 holds the document's
            book.names.append(pdf_name(key) + b" " + part.value(value))
    if "/Info" in pdf.trailer:
        book.info = part.value(pdf.trailer.Info)


def _finish(book: _Book, identifier: bytes) -> None:
    """Write the objects rebuilt for the whole book, then the cross-reference table."""
    out = book.out
    catalog = [b"/Type /Catalog", b"/Pages " + book.ref("pages")]
    kids = b" ".join(b"%d 0 R" % number for number in book.pages)
    out.object(
        book.number("pages"), b"<</Type /Pages /Count %d /Kids [%s]>>" % (len(book.pages), kids)
    )
    if "struct_root" in book.numbers:
        catalog.append(b"/StructTreeRoot " + book.ref("struct_root"))
        _write_structure(book)
    if book.outline_last is not None:
        number, entries = book.outline_last
        out.object(number, b"<<" + b" ".join(entries) + b">>")
        root = b"<</Type /Outlines /Count %d /First %d 0 R /Last %d 0 R>>"
        out.object(book.number("outlines"), root % (book.outline_count, book.outline_first, number))
        catalog.append(b"/Outlines " + book.ref("outlines"))
    names = list(book.names)
    if book.destinations:
        flat = b" ".join(
            bytes(pikepdf.String(key).unparse()) + b" " + book.destinations[key]
            for key in sorted(book.destinations)
        )
        out.object(book.number("dests"), b"<</Names [%s]>>" % flat)
        names.append(b"/Dests " + book.ref("dests"))
    if names:
        catalog.append(b"/Names <<" + b" ".join(names) + b">>")
    out.object(book.number("catalog"), b"<<" + b" ".join(catalog + book.catalog) + b">>")
    out.finish(book.number("catalog"), book.info, identifier)


def _write_structure(book: _Book) -> None:
    """The book's structure tree root, its Document and its parent tree (one node)."""
    root = [b"/Type /StructTreeRoot", b"/K [%s]" % book.ref("document")]
    root += [b"/ParentTree " + book.ref("parent_tree"), b"/ParentTreeNextKey %d" % book.next_key]
    for key, merged in (("/RoleMap", book.role_map), ("/ClassMap", book.class_map)):
        if merged:
            entries = b" ".join(pdf_name(name) + b" " + value for name, value in merged.items())
            root.append(pdf_name(key) + b" <<" + entries + b">>")
    book.out.object(book.number("struct_root"), b"<<" + b" ".join(root + book.struct_root) + b">>")
    document = [b"/P " + book.ref("struct_root"), b"/K [" + b" ".join(book.document_kids) + b"]"]
    book.out.object(book.number("document"), b"<<" + b" ".join(document + book.document) + b">>")
    nums = b" ".join(b"%d %s" % (key, value) for key, value in sorted(book.parent_tree))
    book.out.object(book.number("parent_tree"), b"<</Nums [%s]>>" % nums)
