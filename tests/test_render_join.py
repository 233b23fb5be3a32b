"""render/join.py: parts laid out and written by WeasyPrint on their own, joined into one PDF
that reads, links and validates as if WeasyPrint had written the whole book at once."""

from __future__ import annotations

import io
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from mxpublish.assemble.fonts import BODY_FAMILIES, FACES, font_face_css
from mxpublish.render.conformance import PDFA_CSS, is_pdfa, write_conforming
from mxpublish.render.join import join_pdfs
from mxpublish.verify.validators import declared_profiles

_FILLER = " ".join(f"Filler sentence number {n} keeps the second part going." for n in range(40))
#: The parts' bodies, as a splitter would cut a book at its chapters. Part 0 holds a stub of
#: part 2's ``far`` so that WeasyPrint writes the link to it as a named destination.
_PARTS = (
    '<h1 id="one">Part one</h1><p>See <a href="#far">the far target</a> and '
    '<a href="https://example.org/">an external site</a>.<span id="far"></span></p>'
    "<ul><li>alpha</li><li>beta</li></ul>",
    '<h1 id="two">Part two</h1><h2 id="two-a">Two A</h2><p>Second part text.</p>'
    "<table><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>"
    f'<h2 id="two-b">Two B</h2><p>{_FILLER}</p>',
    '<h1 id="three">Part three</h1><p>Before the target.</p>'
    '<h2 id="far">Far target</h2><p>The target text.</p>',
)
_STUBS = ({"far"}, set(), set())
_CSS = """
@page { size: A6; margin: 12mm; font-family: "Source Sans Pro";
        @bottom-center { content: counter(page) } }
body { font-family: "Source Serif Pro"; }
h1 { bookmark-level: 1 } h2 { bookmark-level: 2 } #three { bookmark-state: closed }
"""
_ID = b"0123456789abcdef0123456789abcdef"


#: What parts.py puts before a later part: an empty page, which the join drops.
_LEAD = '<div style="break-after: page"></div>'


@cache
def _parts(variant: str, lead: str = "") -> tuple[bytes, ...]:
    """Each part laid out on its own, its page numbers continuing from the part before;
    with ``lead``, parts after the first start with that (a lead page, numbered before the
    part's first page)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = font_face_css(
        lambda face: face.path.as_uri(), [f for f in FACES if f.family in BODY_FAMILIES]
    )
    parts, pages = [], 0
    for number, body in enumerate(_PARTS):
        config = FontConfiguration()
        css = fonts + _CSS + (PDFA_CSS if is_pdfa(variant) else "")
        led = bool(lead and number)
        body = lead + body if led else body
        css += f"@page :first {{ counter-reset: page {pages + 1 - led} }}"
        html = f'<html lang="en"><head><title>Joined</title></head><body>{body}</body></html>'
        document = HTML(string=html).render(
            stylesheets=[CSS(string=css, font_config=config)], font_config=config
        )
        parts.append(write_conforming(document, variant, b"part %d" % number))
        pages += len(document.pages) - led
    return tuple(parts)


@cache
def _joined(variant: str) -> bytes:
    return join_pdfs(_parts(variant), identifier=_ID, stubs=_STUBS)


_DROP = (False, True, True)


@cache
def _joined_without_leads(variant: str) -> bytes:
    return join_pdfs(_parts(variant, _LEAD), identifier=_ID, stubs=_STUBS, drop_first=_DROP)


def _assert_unambiguous_stream_ends(data: bytes) -> int:
    """Every object is where the cross-reference stream says; every stream's data is
    /Length bytes long and followed by LF endstream, or CR LF if it ends with CR (a
    validator would read CR LF as the end-of-line marker). Returns the streams seen."""
    pdf = pikepdf.open(io.BytesIO(data))
    assert data.startswith(b"%PDF-1.7\n%") and min(data[10:14]) > 127, "binary comment line"
    streams = 0
    for (number, generation), entry in pdf.get_xref_table().items():
        if entry.type == 2:
            assert pdf.get_object(entry.obj_stream_number, 0).Type == "/ObjStm"
            continue
        assert data.startswith(b"%d %d obj\n" % (number, generation), entry.offset)
        obj = pdf.get_object(number, generation)
        if isinstance(obj, pikepdf.Stream):
            raw = obj.read_raw_bytes()
            start = data.index(b"stream\n", entry.offset) + len(b"stream\n")
            assert int(obj.Length) == len(raw) and data[start : start + len(raw)] == raw
            end = b"\r\nendstream" if raw.endswith(b"\r") else b"\nendstream"
            assert data.startswith(end, start + len(raw))
            streams += 1
    return streams


VARIANTS = ["pdf/ua-1", "pdf/ua-1+a-2a", "pdf/a-2b", "none"]
TAGGED = ["pdf/ua-1", "pdf/ua-1+a-2a"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_page_in_order_with_its_text(variant: str) -> None:
    part_pages = [PdfReader(io.BytesIO(part)).pages for part in _parts(variant)]
    expected = [page.extract_text() for pages in part_pages for page in pages]
    joined = PdfReader(io.BytesIO(_joined(variant)))
    assert len(part_pages[1]) >= 2, "part 1 should run over a page"
    assert len(joined.pages) == len(expected)
    assert [page.extract_text() for page in joined.pages] == expected
    assert [text.split()[-1] for text in expected] == [
        str(n) for n in range(1, len(expected) + 1)
    ], "each page ends with its number, continued across the parts"


@pytest.mark.parametrize("variant", VARIANTS)
def test_join_is_deterministic_and_carries_the_identifier(variant: str) -> None:
    again = join_pdfs(list(_parts(variant)), identifier=_ID, stubs=[set(s) for s in _STUBS])
    assert again == _joined(variant)
    assert _assert_unambiguous_stream_ends(again) > 10
    assert b"/ObjStm" in again and b"/XRef" in again
    assert PdfReader(io.BytesIO(again)).trailer["/ID"][0] == _ID.decode()
    other = join_pdfs(_parts(variant), identifier=b"another", stubs=_STUBS)
    assert other != again


def _page_of(reader: PdfReader, destination: Any) -> int:
    return reader.get_destination_page_number(destination)


@pytest.mark.parametrize("variant", VARIANTS)
def test_outlines_follow_the_parts_to_their_pages(variant: str) -> None:
    reader = PdfReader(io.BytesIO(_joined(variant)))
    texts = [page.extract_text() for page in reader.pages]

    def walk(items: list[Any], depth: int) -> list[tuple[int, str, int]]:
        found = []
        for item in items:
            if isinstance(item, list):
                found += walk(item, depth + 1)
            else:
                found.append((depth, item.title, _page_of(reader, item)))
        return found

    outline = walk(reader.outline, 0)
    titles = [(depth, title) for depth, title, _ in outline]
    assert titles == [
        (0, "Part one"),
        (0, "Part two"),
        (1, "Two A"),
        (1, "Two B"),
        (0, "Part three"),
        (1, "Far target"),
    ]
    for _, title, page in outline:
        assert title in texts[page]
    root = reader.trailer["/Root"]["/Outlines"]
    assert root["/Count"] == 5, "the open items: all but Far target, under closed Part three"
    two, three = (
        item
        for item in reader.outline
        if not isinstance(item, list) and item.title in ("Part two", "Part three")
    )
    assert two["/Count"] == 2 and three["/Count"] == -1


@pytest.mark.parametrize("variant", VARIANTS)
def test_cross_part_link_lands_on_the_real_target_not_the_stub(variant: str) -> None:
    reader = PdfReader(io.BytesIO(_joined(variant)))
    names = reader.named_destinations
    assert sorted(names) == ["far", "one", "three", "two", "two-a", "two-b"]
    links = [
        annotation.get_object()
        for annotation in reader.pages[0].get("/Annots", [])
        if annotation.get_object().get("/Dest") == "far"
    ]
    assert links, "part 0 links to far by name"
    target = _page_of(reader, names["far"])
    assert target == len(reader.pages) - 1 and "Far target" in reader.pages[target].extract_text()
    uris = [a.get_object().get("/A", {}).get("/URI") for a in reader.pages[0]["/Annots"]]
    assert "https://example.org/" in uris


def _marked_content_ids(page: pikepdf.Page) -> list[int]:
    ids = []
    for operands, operator in pikepdf.parse_content_stream(page):
        properties = operands[1] if operator == pikepdf.Operator("BDC") else None
        if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
            ids.append(int(properties.MCID))
    return ids


def _walk_structure(
    element: pikepdf.Object, parent: pikepdf.Object, seen: Counter[tuple[int, int]], found: dict
) -> None:
    """Check each element's /P is its parent; count (page, MCID) and annotation references."""
    assert element.P.objgen == parent.objgen, f"{element.get('/S')} has another parent"
    assert element.objgen not in found["elements"], "an element is reached twice"
    found["elements"].add(element.objgen)
    kids = element.get("/K", pikepdf.Array())
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, int):
            seen[(element.Pg.objgen[0], kid)] += 1
            found["owner"][(element.Pg.objgen[0], kid)] = element.objgen
        elif kid.get("/Type") == "/MCR":
            page = kid.get("/Pg", element.get("/Pg"))
            seen[(page.objgen[0], int(kid.MCID))] += 1
            found["owner"][(page.objgen[0], int(kid.MCID))] = element.objgen
        elif kid.get("/Type") == "/OBJR":
            found["annotations"][kid.Obj.objgen] = element.objgen
        else:
            _walk_structure(kid, element, seen, found)


def _children_of_document(
    root: pikepdf.Object, parent_tree: dict[int, Any] | None = None
) -> dict[tuple[int, int], pikepdf.Object]:
    """Elements whose /P is the Document, found up the /P chain of every element the parent
    tree maps, which must reach the structure root through that Document."""
    document = root.K[0]
    tops = {kid.objgen: kid for kid in document.K}
    values = (parent_tree or dict(pikepdf.NumberTree(root.ParentTree).items())).values()
    for value in values:
        for element in value if isinstance(value, pikepdf.Array) else [value]:
            chain = [element]
            while chain[-1].objgen != root.objgen:
                chain.append(chain[-1].P)
                assert len(chain) < 100, "a /P chain that does not reach the root"
            assert chain[-2].objgen == document.objgen
            if len(chain) > 2:
                tops.setdefault(chain[-3].objgen, chain[-3])
    return tops


@pytest.mark.parametrize("variant", TAGGED)
def test_one_structure_tree_with_a_consistent_parent_tree(variant: str) -> None:
    _assert_one_consistent_structure_tree(_joined(variant), _parts(variant))


def _on_first(element: pikepdf.Object, pdf: pikepdf.Pdf) -> bool:
    return "/Pg" in element and element.Pg.objgen == pdf.pages[0].obj.objgen


def _assert_one_consistent_structure_tree(
    data: bytes, parts: tuple[bytes, ...], drop: tuple[bool, ...] = (False, False, False)
) -> None:
    """One Document holding every part's Document kids (but a dropped page's), a parent
    tree with one key for each page and annotation, each MCID in the tree once."""
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root.StructTreeRoot
    assert len(root.K) == 1 and root.K[0].S == "/Document"
    document = root.K[0]
    assert document.P.objgen == root.objgen
    sources = [pikepdf.open(io.BytesIO(part)) for part in parts]
    first_kids = [
        len([kid for kid in s.Root.StructTreeRoot.K[0].K if not dropped or not _on_first(kid, s)])
        for s, dropped in zip(sources, drop, strict=True)
    ]
    assert len(document.K) == sum(first_kids), "every part's Document kids, nothing more"
    parent_tree = dict(pikepdf.NumberTree(root.ParentTree).items())
    assert int(root.ParentTreeNextKey) == max(parent_tree) + 1

    tops = _children_of_document(root, parent_tree)
    assert {kid.objgen for kid in document.K} <= set(tops), "a kid's /P is the Document"
    detached = [
        {
            objgen: top
            for objgen, top in _children_of_document(s.Root.StructTreeRoot).items()
            if not dropped or not _on_first(top, s)
        }
        for s, dropped in zip(sources, drop, strict=True)
    ]
    assert len(tops) - len(document.K) == sum(
        len(d) - kids for d, kids in zip(detached, first_kids, strict=True)
    ), "margin boxes, kept out as by WeasyPrint"
    seen: Counter[tuple[int, int]] = Counter()
    found: dict[str, Any] = {"elements": set(), "owner": {}, "annotations": {}}
    for top in tops.values():
        _walk_structure(top, document, seen, found)

    keys = [int(page.obj.StructParents) for page in pdf.pages]
    for page, key in zip(pdf.pages, keys, strict=True):
        ids = _marked_content_ids(page)
        assert sorted(ids) == list(range(len(ids))) and ids, "MCIDs 0..n-1 on every page"
        mapping = parent_tree[key]
        assert len(mapping) == len(ids)
        for mcid in ids:
            where = (page.obj.objgen[0], mcid)
            assert seen[where] == 1, f"MCID {mcid} of a page is in the tree {seen[where]} times"
            assert mapping[mcid].objgen == found["owner"][where]
    assert sum(seen.values()) == sum(len(_marked_content_ids(page)) for page in pdf.pages)

    annotation_keys = []
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            key = int(annotation.StructParent)
            annotation_keys.append(key)
            assert parent_tree[key].objgen == found["annotations"][annotation.objgen]
    assert len(annotation_keys) >= 2
    assert sorted(keys + annotation_keys) == sorted(parent_tree), "one key for each, all used"
    assert len(set(keys + annotation_keys)) == len(keys) + len(annotation_keys)


@pytest.mark.parametrize("variant", VARIANTS)
def test_catalog_keeps_part_zero_entries(variant: str) -> None:
    pdf = pikepdf.open(io.BytesIO(_joined(variant)))
    first = pikepdf.open(io.BytesIO(_parts(variant)[0]))
    assert set(pdf.Root.keys()) == set(first.Root.keys())
    assert str(pdf.Root.Lang) == "en" and str(pdf.trailer.Info.Title) == "Joined"
    assert pdf.pdf_version == first.pdf_version
    if variant in TAGGED:
        assert bool(pdf.Root.MarkInfo.Marked) and bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
    if variant != "none":
        assert pdf.Root.Metadata.read_bytes() == first.Root.Metadata.read_bytes()
        assert "/Filter" not in pdf.Root.Metadata, "PDF/A forbids a filter on the XMP"
    if is_pdfa(variant):
        assert len(pdf.Root.OutputIntents) == 1


@pytest.mark.parametrize(
    "variant", ["pdf/ua-1", "pdf/ua-1+a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3u"]
)
def test_joined_pdf_passes_the_independent_validator(variant: str, tmp_path: Path) -> None:
    import page

    path = tmp_path / "joined.pdf"
    path.write_bytes(_joined(variant))
    profiles = declared_profiles(path)
    assert profiles, "the joined PDF declares what its parts declare"
    for profile in profiles:
        report = page.validate_pdf(path, profile=profile)
        failures = [(f.rule_id, f.message) for f in report.failures]
        assert report.rules.failed == 0 and report.is_compliant, (profile, failures[:5])


def _data_ending_with_cr_when_compressed(rows: list[bytes]) -> bytes:
    import zlib

    return next(
        data
        for count in range(len(rows))
        if zlib.compress(data := b"".join(rows[:count])).endswith(b"\r")
    )


def _saved(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def test_a_stream_whose_data_ends_with_cr_ends_with_cr_lf() -> None:
    """After data ending in CR, a lone LF before endstream reads as CR LF to a validator."""
    import zlib

    pdf = pikepdf.open(io.BytesIO(_parts("pdf/ua-1")[1]))
    page = pdf.pages[0]
    text = PdfReader(io.BytesIO(_parts("pdf/ua-1")[1])).pages[0].extract_text()
    content = page.Contents.read_bytes()
    padded = _data_ending_with_cr_when_compressed(
        [content] + [b"%% padding %d\n" % n for n in range(20_000)]
    )
    page.Contents.write(zlib.compress(padded), filter=pikepdf.Name.FlateDecode)
    parts = [_parts("pdf/ua-1")[0], _saved(pdf)]
    joined = join_pdfs(parts, identifier=_ID)
    _assert_unambiguous_stream_ends(joined)
    first = PdfReader(io.BytesIO(_parts("pdf/ua-1")[0])).pages
    assert PdfReader(io.BytesIO(joined)).pages[len(first)].extract_text() == text
    assert b"\r\r\nendstream" in joined, "the CR of the data, then CR LF"


def test_streams_keep_their_encoded_data_filters_and_decode_parameters() -> None:
    import zlib

    rows = b"".join(bytes([2, n % 256, n * 7 % 256, 13]) for n in range(2000))
    pdf = pikepdf.open(io.BytesIO(_parts("none")[2]))
    image = pikepdf.Stream(pdf, zlib.compress(rows))
    image.Filter = pikepdf.Name.FlateDecode
    image.DecodeParms = pikepdf.Dictionary(Predictor=12, Columns=3)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 3, 2000, 8
    image.ColorSpace = pikepdf.Name.DeviceGray
    pdf.pages[0].Resources.XObject = pikepdf.Dictionary(Extra=pdf.make_indirect(image))
    decoded = image.read_bytes()
    parts = [_parts("none")[0], _saved(pdf)]
    opened = [pikepdf.open(io.BytesIO(data)) for data in parts]  # kept open to read
    source = {
        obj.read_raw_bytes(): obj
        for part in opened
        for obj in part.objects
        if isinstance(obj, pikepdf.Stream)
    }
    joined = pikepdf.open(io.BytesIO(join_pdfs(parts, identifier=_ID)))
    streams = [
        obj
        for obj in joined.objects
        if isinstance(obj, pikepdf.Stream) and obj.get("/Type") not in ("/ObjStm", "/XRef")
    ]
    for stream in streams:
        original = source[stream.read_raw_bytes()]
        assert stream.get("/Filter") == original.get("/Filter")
        assert stream.get("/DecodeParms") == original.get("/DecodeParms")
    extra = joined.pages[len(pikepdf.open(io.BytesIO(parts[0])).pages)].Resources.XObject.Extra
    assert extra.DecodeParms.Predictor == 12 and extra.read_bytes() == decoded


@pytest.mark.parametrize("variant", VARIANTS)
def test_dropped_lead_pages_leave_the_book_as_if_laid_out_without_them(variant: str) -> None:
    """parts.py lays a later part out after an empty lead page; the join drops it with
    its structure elements (a Part holding an empty Div, the page number's margin box)."""
    led = _parts(variant, _LEAD)
    assert [len(PdfReader(io.BytesIO(p)).pages) for p in led] == [
        len(PdfReader(io.BytesIO(p)).pages) + lead
        for p, lead in zip(_parts(variant), _DROP, strict=False)
    ]
    joined, plain = (
        PdfReader(io.BytesIO(data)) for data in [_joined_without_leads(variant), _joined(variant)]
    )
    assert [page.extract_text() for page in joined.pages] == [
        page.extract_text() for page in plain.pages
    ]
    assert {name: _page_of(joined, d) for name, d in joined.named_destinations.items()} == {
        name: _page_of(plain, d) for name, d in plain.named_destinations.items()
    }

    def outline(reader: PdfReader, items: list[Any]) -> list[Any]:
        return [
            outline(reader, item)
            if isinstance(item, list)
            else (item.title, _page_of(reader, item))
            for item in items
        ]

    assert outline(joined, joined.outline) == outline(plain, plain.outline)
    if variant in TAGGED:
        _assert_one_consistent_structure_tree(_joined_without_leads(variant), led, _DROP)
        pdf = pikepdf.open(io.BytesIO(_joined_without_leads(variant)))
        root = pdf.Root.StructTreeRoot
        assert int(root.ParentTreeNextKey) == len(pikepdf.NumberTree(root.ParentTree))
    _assert_unambiguous_stream_ends(_joined_without_leads(variant))


@pytest.mark.parametrize("variant", ["pdf/ua-1", "pdf/ua-1+a-2a", "pdf/a-2b"])
def test_a_join_without_lead_pages_passes_the_independent_validator(
    variant: str, tmp_path: Path
) -> None:
    import page

    path = tmp_path / "joined.pdf"
    path.write_bytes(_joined_without_leads(variant))
    for profile in declared_profiles(path):
        report = page.validate_pdf(path, profile=profile)
        failures = [(f.rule_id, f.message) for f in report.failures]
        assert report.rules.failed == 0 and report.is_compliant, (profile, failures[:5])


def test_a_lead_page_with_a_link_or_alone_is_not_dropped() -> None:
    linked = _parts(
        "none", '<div style="break-after: page"><a href="https://example.org/">a site</a></div>'
    )
    with pytest.raises(ValueError, match="links"):
        join_pdfs(linked, identifier=_ID, stubs=_STUBS, drop_first=_DROP)
    alone = _parts("none", _LEAD)[:1]
    with pytest.raises(ValueError, match="another page"):
        join_pdfs(alone, identifier=_ID, drop_first=[True])
    with pytest.raises(ValueError):
        join_pdfs(alone, identifier=_ID, drop_first=[False, False])


def test_parts_are_read_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """qpdf keeps every object of an open PDF in memory: a part is closed before the next
    is opened, so memory holds one part whatever the book's length."""
    opened: list[pikepdf.Pdf] = []
    most = [0]
    real_open, real_close = pikepdf.open, pikepdf.Pdf.close

    def opening(*args: Any, **kwargs: Any) -> pikepdf.Pdf:
        pdf = real_open(*args, **kwargs)
        opened.append(pdf)
        most[0] = max(most[0], len(opened))
        return pdf

    def closing(self: pikepdf.Pdf) -> None:
        opened[:] = [pdf for pdf in opened if pdf is not self]
        real_close(self)

    monkeypatch.setattr(pikepdf, "open", opening)
    monkeypatch.setattr(pikepdf.Pdf, "close", closing)
    join_pdfs(_parts("pdf/ua-1"), identifier=_ID, stubs=_STUBS)
    assert most == [1] and not opened


def test_nothing_to_join_or_more_stub_lists_than_parts_is_an_error() -> None:
    with pytest.raises(ValueError):
        join_pdfs([], identifier=b"id")
    with pytest.raises(ValueError):
        join_pdfs([_parts("none")[0]], identifier=b"id", stubs=[set(), set()])
    labelled = pikepdf.open(io.BytesIO(_parts("none")[0]))
    labelled.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array([0, {}]))
    buffer = io.BytesIO()
    labelled.save(buffer)
    with pytest.raises(ValueError, match="PageLabels"):
        join_pdfs([buffer.getvalue()], identifier=b"id")


def test_role_maps_are_merged_the_first_part_to_name_a_role_wins() -> None:
    parts = []
    for part, roles in zip(
        _parts("pdf/ua-1"),
        [{"/Chapter": "/Sect"}, {"/Note": "/P", "/Chapter": "/Div"}, {}],
        strict=True,
    ):
        pdf = pikepdf.open(io.BytesIO(part))
        if roles:
            mapping = {key: pikepdf.Name(value) for key, value in roles.items()}
            pdf.Root.StructTreeRoot.RoleMap = pikepdf.Dictionary(mapping)
            layout = pikepdf.Dictionary(
                O=pikepdf.Name.Layout, Placement=pikepdf.Name(roles["/Chapter"])
            )
            pdf.Root.StructTreeRoot.ClassMap = pikepdf.Dictionary({f"/Box{len(roles)}": layout})
        buffer = io.BytesIO()
        pdf.save(buffer)
        parts.append(buffer.getvalue())
    joined = pikepdf.open(io.BytesIO(join_pdfs(parts, identifier=_ID, stubs=_STUBS)))
    role_map = joined.Root.StructTreeRoot.RoleMap
    assert dict(role_map.items()) == {"/Chapter": "/Sect", "/Note": "/P"}
    class_map = joined.Root.StructTreeRoot.ClassMap
    assert sorted(class_map.keys()) == ["/Box1", "/Box2"]
    assert class_map.Box1.Placement == "/Sect" and class_map.Box2.Placement == "/Div"


@pytest.mark.parametrize("variant", ["pdf/ua-1", "none"])
def test_each_font_subset_has_a_name_of_its_own(variant: str) -> None:
    """WeasyPrint names a face's subset the same in every part, whatever glyphs it keeps."""
    import hashlib

    def subsets(data: bytes) -> dict[str, set[str]]:
        programs: dict[str, set[str]] = {}
        pdf = pikepdf.open(io.BytesIO(data))
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                program = obj.get("/FontFile3") or obj.get("/FontFile2")
                digest = hashlib.sha256(program.read_bytes()).hexdigest()
                programs.setdefault(str(obj.FontName), set()).add(digest)
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font":
                font = obj.DescendantFonts[0] if "/DescendantFonts" in obj else obj
                assert obj.BaseFont == font.FontDescriptor.FontName
        return programs

    parts = [subsets(part) for part in _parts(variant)]
    assert len({name for part in parts for name in part}) < sum(map(len, parts)), "the hazard"
    joined = subsets(_joined(variant))
    assert all(len(programs) == 1 for programs in joined.values())
    assert sorted(d for p in joined.values() for d in p) == sorted(
        {d for part in parts for programs in part.values() for d in programs}
    )
