"""The PDF's tag tree: what a screen reader walks in a tagged PDF/UA-1 file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from helpers import briefing_parts

pytestmark = pytest.mark.slow


def _structure(node: Any, out: list[str]) -> list[str]:
    node = node.get_object() if isinstance(node, IndirectObject) else node
    if isinstance(node, ArrayObject):
        for child in node:
            _structure(child, out)
    elif isinstance(node, DictionaryObject):
        if "/S" in node:
            out.append(str(node["/S"]))
        if "/K" in node:
            _structure(node["/K"], out)
    return out


def test_tag_tree_has_headings_in_reading_order_and_real_lists(
    briefing_build: dict[str, Path],
) -> None:
    root = PdfReader(briefing_build["pdf"]).trailer["/Root"]
    tags = _structure(root["/StructTreeRoot"], [])
    assert tags[0] == "/Document"
    headings = [t for t in tags if t in ("/H1", "/H2", "/H3")]
    _, parts = briefing_parts()
    # title, the summary box's label, "Contents", then one H1 per section
    assert headings == ["/H1", "/H2", "/H2"] + ["/H1"] * len(parts)
    assert tags.count("/L") == 2  # the contents list and the briefing's bullet list
    assert tags.count("/LI") == len(parts) + 4
    assert tags.count("/Link") >= len(parts)
