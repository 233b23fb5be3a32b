"""Join the PDFs of a book laid out in parts into one tagged PDF.

WeasyPrint keeps every laid-out page in memory, so a long book is laid out part by part and
each part written as a PDF of its own (same variant, page numbers continued). This module
puts them back together as if WeasyPrint had written one document: pages in order, one
structure tree with a renumbered parent tree, the outlines one after another, one sorted
name tree of destinations (without the parts' *stubs*: empty elements that only carry the id
of a target in another part so that links to it are written as named destinations), and
part 0's catalog entries and document information.

qpdf (through pikepdf) copies the object graphs: it keeps one mapping per source PDF, so a
structure element's /Pg or a destination copied after the pages lands on the copied page.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import warnings
from collections.abc import Collection, Iterator, Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree

from mxpublish.render.qpdf_write import write_unambiguous

#: Catalog entries built from every part; the others (Lang, MarkInfo, ViewerPreferences,
#: Metadata, OutputIntents…) are taken from part 0: all parts have them from the same
#: metadata. Page labels and form fields would need joining too; WeasyPrint writes neither.
_JOINED_CATALOG_KEYS = {"/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/Names", "/Dests"}
_UNJOINED_CATALOG_KEYS = {"/PageLabels", "/AcroForm"}
#: A subset font's name: a tag of six capitals and a plus sign before the PostScript name.
_SUBSET_TAG = re.compile(r"/[A-Z]{6}\+")
#: Structure tree root entries that are rebuilt rather than copied.
_REBUILT_ROOT_KEYS = {"/Type", "/K", "/ParentTree", "/ParentTreeNextKey", "/RoleMap", "/ClassMap"}


def join_pdfs(
    parts: Sequence[bytes], *, identifier: bytes, stubs: Sequence[Collection[str]] = ()
) -> bytes:
    """One PDF from ``parts`` (PDF bytes in reading order, all of one WeasyPrint variant).

    ``stubs[i]`` names the destinations of part ``i`` that are stubs; they are left out, so
    each name leads to the part that holds its real target. The trailer ID is
    ``[identifier, digest of the content]``, as WeasyPrint writes it. Same bytes in, same
    bytes out. Raises ValueError for no parts, more stub lists than parts, or parts with
    page labels or form fields (which would need joining too).
    """
    if not parts or len(stubs) > len(parts):
        raise ValueError(f"{len(parts)} PDF parts to join with {len(stubs)} lists of stubs")
    sources = [pikepdf.Pdf.open(io.BytesIO(part)) for part in parts]
    out = pikepdf.Pdf.new()
    first = sources[0]
    with warnings.catch_warnings():
        # pikepdf warns that extend() leaves named destinations behind: they are joined below
        warnings.filterwarnings("ignore", "Copying pages from another Pdf")
        for source in sources:
            out.pages.extend(source.pages)
    _copy_catalog(out, first)
    if "/StructTreeRoot" in first.Root:
        _join_structure(out, sources)
    _join_outlines(out, sources)
    skipped = [set(names) for names in stubs] + [set()] * (len(parts) - len(stubs))
    _join_destinations(out, sources, skipped)
    _distinct_subset_tags(out)
    out.trailer.ID = Array([pikepdf.String(identifier), pikepdf.String(identifier)])
    return write_unambiguous(out, first.pdf_version)


def _copy_catalog(out: pikepdf.Pdf, first: pikepdf.Pdf) -> None:
    """Part 0's catalog entries (but those joined from every part) and its Info dict.

    Raises ValueError for page labels or form fields, which would need joining too.
    """
    for key, value in first.Root.items():
        if key in _UNJOINED_CATALOG_KEYS:
            raise ValueError(f"joining PDFs with {key} is not supported")
        if key not in _JOINED_CATALOG_KEYS:
            out.Root[key] = _copy(out, first, value)
    for key, value in first.Root.get("/Names", Dictionary()).items():
        if key != "/Dests":  # attachments (PDF/A-3), if any: part 0 holds the document's
            _names(out)[key] = _copy(out, first, value)
    if "/Info" in first.trailer:
        out.trailer.Info = _copy(out, first, first.trailer.Info)


def _names(out: pikepdf.Pdf) -> pikepdf.Object:
    """The catalog's /Names dictionary, made if missing."""
    if "/Names" not in out.Root:
        out.Root.Names = Dictionary()
    return out.Root.Names


def _copy(out: pikepdf.Pdf, source: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """``obj`` of ``source`` in ``out``; qpdf copies only indirect objects, so a direct
    dictionary or array is made indirect in the source first (its contents stay shared)."""
    if isinstance(obj, Dictionary | Array) and not obj.is_indirect:
        obj = source.make_indirect(obj)
    return out.copy_foreign(obj) if obj.is_indirect else obj


def _page_ranges(sources: Sequence[pikepdf.Pdf]) -> Iterator[range]:
    """The indexes of each source's pages among the joined pages."""
    start = 0
    for source in sources:
        yield range(start, start + len(source.pages))
        start += len(source.pages)


def _join_structure(out: pikepdf.Pdf, sources: Sequence[pikepdf.Pdf]) -> None:
    """One StructTreeRoot whose Document holds every part's Document kids, in order.

    Each part's parent tree keys (WeasyPrint: pages 0..n-1, then annotations) are moved up
    by the keys the parts before it used, and so are the /StructParents of its pages and the
    /StructParent of its annotations, which index that tree.
    """
    first_root = sources[0].Root.StructTreeRoot
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    for key, value in first_root.items():
        if key not in _REBUILT_ROOT_KEYS:
            root[key] = _copy(out, sources[0], value)
    document = out.make_indirect(Dictionary())
    for key, value in _document(first_root).items():
        if key not in ("/K", "/P"):
            document[key] = _copy(out, sources[0], value)
    document.P, document.K = root, Array()
    root.K = Array([document])
    parent_tree = NumberTree.new(out)
    offset = 0
    for source, pages in zip(sources, _page_ranges(sources), strict=True):
        for index in pages:
            _shift_struct_parents(out.pages[index].obj, offset)
        offset = _join_part_structure(out, source, document, parent_tree, offset)
        _merge_map(out, source, root, "/RoleMap")
        _merge_map(out, source, root, "/ClassMap")
    root.ParentTree = parent_tree.obj
    root.ParentTreeNextKey = offset
    out.Root.StructTreeRoot = root


def _join_part_structure(
    out: pikepdf.Pdf,
    source: pikepdf.Pdf,
    document: pikepdf.Object,
    parent_tree: pikepdf.NumberTree,
    offset: int,
) -> int:
    """Put one part's Document kids under ``document`` and its parent tree entries, moved
    up by ``offset``, into ``parent_tree``; return the first key after them."""
    source_root = source.Root.StructTreeRoot
    tops = _children_of_document(source_root)
    for top in tops:
        del top.P  # not to drag in the part's own Document and structure root
    for kid in _kids(_document(source_root)):
        document.K.append(_copy(out, source, kid))
    for number, value in NumberTree(source_root.ParentTree).items():
        parent_tree[number + offset] = _copy(out, source, value)
    for top in tops:
        _copy(out, source, top).P = document
    return offset + _next_key(source)


def _next_key(source: pikepdf.Pdf) -> int:
    """The first parent tree key a part leaves unused."""
    struct_root = source.Root.StructTreeRoot
    if "/ParentTreeNextKey" in struct_root:
        return int(struct_root.ParentTreeNextKey)
    return max(NumberTree(struct_root.ParentTree).keys(), default=-1) + 1


def _children_of_document(struct_root: pikepdf.Object) -> list[pikepdf.Object]:
    """The elements whose /P is the part's Document: its kids, and those WeasyPrint keeps
    out of the tree on purpose (margin boxes: running heads, page numbers) that the parent
    tree still maps."""
    document = _document(struct_root)
    tops = {kid.objgen: kid for kid in _kids(document) if isinstance(kid, Dictionary)}
    seen: set[tuple[int, int]] = set()
    for _, value in NumberTree(struct_root.ParentTree).items():
        for element in value if isinstance(value, Array) else [value]:
            while isinstance(element, Dictionary) and "/P" in element:
                if element.objgen in seen:
                    break
                seen.add(element.objgen)
                if element.P.objgen == document.objgen:
                    tops.setdefault(element.objgen, element)
                    break
                element = element.P
    return list(tops.values())


def _document(struct_root: pikepdf.Object) -> pikepdf.Object:
    """The one Document element WeasyPrint puts under the structure tree root."""
    kids = struct_root.K
    return kids[0] if isinstance(kids, Array) else kids


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    """An element's /K as a list (PDF allows one kid without an array)."""
    if "/K" not in element:
        return []
    kids = element.K
    return list(kids) if isinstance(kids, Array) else [kids]


def _shift_struct_parents(page: pikepdf.Object, offset: int) -> None:
    """Move a joined page's parent tree keys, and its annotations', up by ``offset``."""
    if "/StructParents" in page:
        page.StructParents = int(page.StructParents) + offset
    for annotation in page.get("/Annots", ()):
        if "/StructParent" in annotation:
            annotation.StructParent = int(annotation.StructParent) + offset


def _merge_map(out: pikepdf.Pdf, source: pikepdf.Pdf, root: pikepdf.Object, key: str) -> None:
    """Add a part's RoleMap or ClassMap entries; the first part to define a name wins."""
    source_root = source.Root.StructTreeRoot
    if key not in source_root:
        return
    if key not in root:
        root[key] = Dictionary()
    for name, value in source_root[key].items():
        if name not in root[key]:
            root[key][name] = _copy(out, source, value)


def _join_outlines(out: pikepdf.Pdf, sources: Sequence[pikepdf.Pdf]) -> None:
    """The parts' top-level outline items one after another under one outline root.

    Items keep their children, /Count (negative: closed) and destinations, which qpdf maps
    to the joined pages. The root's /Count is the sum of the parts': the open items.
    """
    items: list[tuple[pikepdf.Pdf, pikepdf.Object]] = []
    count = 0
    for source in sources:
        if "/Outlines" not in source.Root or "/First" not in source.Root.Outlines:
            continue
        outlines = source.Root.Outlines
        count += int(outlines.get("/Count", 0))
        item = outlines.First
        while True:
            del item.Parent  # not to drag in the part's own root
            items.append((source, item))
            if "/Next" not in item:
                break
            item = item.Next
    if not items:
        return
    copied = [_copy(out, source, item) for source, item in items]
    root = out.make_indirect(Dictionary(Type=Name.Outlines, Count=count))
    root.First, root.Last = copied[0], copied[-1]
    for before, after in itertools.pairwise(copied):
        before.Next, after.Prev = after, before
    for item in copied:
        item.Parent = root
    out.Root.Outlines = root


def _join_destinations(
    out: pikepdf.Pdf, sources: Sequence[pikepdf.Pdf], stubs: Sequence[set[str]]
) -> None:
    """One sorted name tree of the parts' named destinations, stubs left out.

    WeasyPrint writes them under /Names /Dests; an older-style /Dests dictionary in the
    catalog is read too. Should two parts define a name, the first in reading order wins,
    as the first element with an id does in HTML.
    """
    names: dict[bytes, pikepdf.Object] = {}
    for source, skip in zip(sources, stubs, strict=True):
        for name, destination in _destinations(source):
            if name not in skip and name.encode() not in names:
                names[name.encode()] = _copy(out, source, destination)
    if not names:
        return
    tree = NameTree.new(out)
    for key in sorted(names):
        tree[key.decode()] = names[key]
    _names(out).Dests = tree.obj


def _destinations(source: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    """A part's named destinations, from its name tree and its catalog /Dests."""
    root = source.Root
    if "/Names" in root and "/Dests" in root.Names:
        yield from NameTree(root.Names.Dests).items()
    if "/Dests" in root:
        for key, value in root.Dests.items():
            yield key[1:], value


def _distinct_subset_tags(out: pikepdf.Pdf) -> None:
    """Give each embedded font subset a tag of its own, derived from its font program.

    WeasyPrint derives a subset's tag (``ABCDEF+``) from the face, not from the glyphs
    kept, so parts that use different glyphs of one face carry different subsets under one
    name. ISO 32000-1 (9.6.4) wants different tags for different subsets: a viewer or RIP
    that caches fonts by name would draw one part's text with another's glyphs.
    """
    renamed: dict[tuple[int, int], str] = {}
    for obj in out.objects:
        if not isinstance(obj, Dictionary) or obj.get("/Type") != "/FontDescriptor":
            continue
        if obj.objgen in renamed:  # pikepdf may list an object twice
            continue
        name = str(obj.get("/FontName", ""))
        programs = [obj[key] for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in obj]
        if _SUBSET_TAG.match(name) and programs:
            digest = hashlib.sha256(name.encode() + programs[0].read_raw_bytes()).digest()
            tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
            obj.FontName = Name(f"/{tag}{name[7:]}")
            renamed[obj.objgen] = tag
    for obj in out.objects:
        if not isinstance(obj, Dictionary) or obj.get("/Type") != "/Font":
            continue
        font = obj.DescendantFonts[0] if "/DescendantFonts" in obj else obj
        descriptor = font.get("/FontDescriptor")
        base = str(obj.get("/BaseFont", ""))
        if descriptor is not None and descriptor.objgen in renamed and _SUBSET_TAG.match(base):
            obj.BaseFont = Name(f"/{renamed[descriptor.objgen]}{base[7:]}")
