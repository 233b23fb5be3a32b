"""Print page breaks in EPUB XHTML: markers placed where each printed page of the PDF begins."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from lxml import etree

from mxpublish.model import BLOCK_TAGS, PageStart

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
_XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'


def marker_id(page: int) -> str:
    return f"page-{page}"


def _marker(page: int) -> etree._Element:
    span = etree.Element(f"{{{XHTML_NS}}}span", nsmap={None: XHTML_NS, "epub": EPUB_NS})
    span.set(f"{{{EPUB_NS}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", marker_id(page))
    span.set("aria-label", str(page))
    return span


def _slots(element: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """Every text node under ``element`` in reading order: (owner, "text" | "tail")."""
    yield element, "text"
    for child in element:
        if not isinstance(child.tag, str):
            continue
        yield from _slots(child)
        yield child, "tail"


def _insert_at_letter(block: etree._Element, offset: int, marker: etree._Element) -> None:
    """Put ``marker`` before the first whole word after ``offset`` letters/digits of ``block``.

    A page that begins inside a hyphenated word gets its marker after that word, so the text
    after the marker is the first whole word printed on the page.
    """
    remaining = offset
    for node, kind in _slots(block):
        text = (node.text if kind == "text" else node.tail) or ""
        letters = sum(ch.isalnum() for ch in text)
        if (remaining > 0 and remaining >= letters) or not text.strip():
            remaining -= letters
            continue
        pos = 0
        while remaining > 0:
            remaining -= text[pos].isalnum()
            pos += 1
        if 0 < pos < len(text) and text[pos - 1].isalnum() and text[pos].isalnum():
            while pos < len(text) and not text[pos].isspace():
                pos += 1  # finish the word split across the page break
        while pos < len(text) and text[pos].isspace():
            pos += 1
        marker.tail = text[pos:]
        if kind == "text":
            node.text = text[:pos]
            node.insert(0, marker)
        else:
            node.tail = text[:pos]
            node.addnext(marker)
        return
    block.append(marker)


def _contents_entry(
    root: etree._Element, start: PageStart, section_files: Mapping[str, str]
) -> etree._Element | None:
    """The navigation document's link to the entry a contents page starts with (its target
    id is ``start.section_id``): a section's file, or a heading's ``file#id``."""
    if start.region != "contents" or not start.section_id:
        return None
    wanted = {section_files.get(start.section_id), f"#{start.section_id}"}
    for link in root.iter(f"{{{XHTML_NS}}}a"):
        href = link.get("href") or ""
        if href in wanted or href.endswith(f"#{start.section_id}"):
            return link
    return None


def _blocks(section: etree._Element) -> list[etree._Element]:
    return [
        e
        for e in section.iter()
        if isinstance(e.tag, str) and etree.QName(e).localname in BLOCK_TAGS
    ]


def _document_of(
    start: PageStart, section_files: Mapping[str, str], titlepage: str, nav: str
) -> str:
    if start.region == "titlepage":
        return titlepage
    if start.region == "contents":
        return nav
    if start.section_id is None or start.section_id not in section_files:
        raise ValueError(f"page {start.page} starts in unknown section {start.section_id!r}")
    return section_files[start.section_id]


def page_list(
    starts: Sequence[PageStart], section_files: Mapping[str, str], titlepage: str, nav: str
) -> list[tuple[int, str]]:
    """The EPUB page list: (printed page number, href of its marker), in page order."""
    return [
        (s.page, f"{_document_of(s, section_files, titlepage, nav)}#{marker_id(s.page)}")
        for s in starts
    ]


def add_page_breaks(
    documents: Mapping[str, str],
    starts: Sequence[PageStart],
    section_files: Mapping[str, str],
    titlepage: str,
    nav: str,
) -> dict[str, str]:
    """Insert a marker for every ``PageStart`` into the XHTML ``documents`` (name → text);
    return the documents that changed. Raises ValueError if a start has no place to go."""
    trees: dict[str, etree._Element] = {}
    contents_last: dict[str, etree._Element] = {}
    for start in starts:
        name = _document_of(start, section_files, titlepage, nav)
        if name not in trees:
            trees[name] = etree.fromstring(documents[name].encode("utf-8"))
        root = trees[name]
        marker = _marker(start.page)
        body = root.find(f"{{{XHTML_NS}}}body")
        if body is None or len(body) == 0:
            raise ValueError(f"{name} has no body")
        if start.region == "section":
            section = root.find(f".//{{{XHTML_NS}}}section[@id='{start.section_id}']")
            blocks = _blocks(section) if section is not None else []
            if start.block >= len(blocks):
                raise ValueError(f"page {start.page}: block {start.block} not in {name}")
            _insert_at_letter(blocks[start.block], start.offset, marker)
        elif start.region == "titlepage":
            target = body[0]
            marker.tail = target.text
            target.text = None
            target.insert(0, marker)
        elif (link := _contents_entry(root, start, section_files)) is not None:
            marker.tail, link.text = link.text, None  # a later contents page: at its first entry
            link.insert(0, marker)
        elif name in contents_last:  # no such entry: after the contents' first marker, in order
            contents_last[name].addnext(marker)
            contents_last[name] = marker
        else:
            body[0].addprevious(marker)
            contents_last[name] = marker
    return {
        name: _XML_HEADER + etree.tostring(root, encoding="unicode") for name, root in trees.items()
    }
