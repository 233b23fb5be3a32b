"""publication.yaml: valid input loads; every problem is reported with its line."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import MINIMAL_CONFIG, MakeProject
from mxpublish.errors import SourceError
from mxpublish.project import Project
from mxpublish.source.metadata import load_metadata, slugify
from mxpublish.source.schema import decode_text


def _codes(exc: pytest.ExceptionInfo[SourceError]) -> list[tuple[str, int | None]]:
    return [(d.code, d.line) for d in exc.value.diagnostics]


def test_minimal_config_loads_with_defaults(make_project: MakeProject) -> None:
    meta = load_metadata(Project(make_project({})))
    assert meta.title == "A Test Publication"
    assert meta.authors == ("Test Office",)
    assert meta.date == dt.date(2024, 5, 1)
    assert meta.slug == "a-test-publication"
    assert meta.paper == "letter"
    assert meta.marking is None


def test_every_problem_is_reported_at_once(make_project: MakeProject) -> None:
    config = (
        "titel: Oops\nauthors: 3\ndate: tomorrow\nlanguage: english!\n"
        "identifier: urn:uuid:nope\npaper: A5\n"
    )
    root = make_project({"source/publication.yaml": config})
    with pytest.raises(SourceError) as exc:
        load_metadata(Project(root))
    codes = _codes(exc)
    assert ("SCHEMA-MISSING", 1) in codes  # title
    assert ("SCHEMA-UNKNOWN", 1) in codes
    assert ("SCHEMA-TYPE", 2) in codes  # authors
    assert ("SCHEMA-TYPE", 3) in codes  # date
    assert ("SCHEMA-VALUE", 4) in codes  # language
    assert ("SCHEMA-VALUE", 5) in codes  # identifier
    assert ("SCHEMA-VALUE", 6) in codes  # paper
    unknown = next(d for d in exc.value.diagnostics if d.code == "SCHEMA-UNKNOWN")
    assert unknown.hint == "did you mean `title`?"
    assert unknown.file == "source/publication.yaml"


def test_malformed_yaml_names_the_line(make_project: MakeProject) -> None:
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + "keywords: [a, b\n"})
    with pytest.raises(SourceError) as exc:
        load_metadata(Project(root))
    [diagnostic] = exc.value.diagnostics
    assert diagnostic.code == "YAML-SYNTAX"
    assert diagnostic.line is not None and diagnostic.line >= 6


def test_bom_and_crlf_are_accepted(make_project: MakeProject) -> None:
    data = ("\ufeff" + MINIMAL_CONFIG).replace("\n", "\r\n").encode("utf-8")
    meta = load_metadata(Project(make_project({"source/publication.yaml": data})))
    assert meta.title == "A Test Publication"


def test_non_utf8_names_the_byte_and_line() -> None:
    with pytest.raises(SourceError) as exc:
        decode_text(b"title: ok\nsubtitle: caf\xe9\n", "x.yaml")
    [diagnostic] = exc.value.diagnostics
    assert (diagnostic.line, diagnostic.col) == (2, 14)
    assert diagnostic.message == "not valid UTF-8: byte 0xe9 at offset 23"


def test_marking_and_a4(make_project: MakeProject) -> None:
    config = MINIMAL_CONFIG + "paper: A4\nmarking: Official\n"
    meta = load_metadata(Project(make_project({"source/publication.yaml": config})))
    assert (meta.paper, meta.marking) == ("a4", "Official")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("US Troops: What's Up In 2024?", "us-troops-what-s-up-in-2024"),
        ("Café  Crème", "cafe-creme"),
        ("¿¡!?", "section"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug
