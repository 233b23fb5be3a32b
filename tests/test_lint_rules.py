"""One fixture per lint rule: each small project triggers its rule, and only it, at a known
``file:line:col``; every rule `check --list-rules` prints has a fixture here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINIMAL_CONFIG, MakeProject
from mxpublish.check import RULES, all_rules, check_project, lint
from mxpublish.cli import main
from mxpublish.errors import MxError
from mxpublish.project import Project
from mxpublish.source.markdown import create_parser
from mxpublish.source.sections import load_publication

PNG = b"\x89PNG\r\n\x1a\n"  # the checker looks for the file, not inside it


def _section(body: str, front: str = "title: A") -> str:
    return f"---\n{front}\n---\n\n{body}"


def _config(extra: str) -> str:
    return MINIMAL_CONFIG + extra


_BIB_CONFIG = _config("bibliography: refs.json\n")
_REFS = '[{"id": "smith", "type": "book", "title": "A Book", "issued": {"date-parts": [[2020]]}}]'


#: rule id → (project files, a value of None deletes a default file; what `check` reports,
#: as `file:line:col: CODE`; whether it is a release check).
FIXTURES: dict[str, tuple[dict[str, str | bytes | None], list[str], bool]] = {
    "PROJECT-NO-CONFIG": ({"source/publication.yaml": None}, [": PROJECT-NO-CONFIG"], False),
    "YAML-SYNTAX": (
        {"source/01-a.md": "---\ntitle: [oops\n---\n\nText.\n"},
        ["source/01-a.md:2:13: YAML-SYNTAX"],
        False,
    ),
    "YAML-NOT-MAPPING": (
        {"source/01-a.md": "---\n- a\n- b\n---\n\nText.\n"},
        ["source/01-a.md:2: YAML-NOT-MAPPING"],
        False,
    ),
    "SCHEMA-MISSING": (
        {"source/01-a.md": _section("Text.\n", front="summary: S.")},
        ["source/01-a.md:1: SCHEMA-MISSING"],
        False,
    ),
    "SCHEMA-UNKNOWN": (
        {"source/01-a.md": _section("Text.\n", front="title: A\ncolour: red")},
        ["source/01-a.md:3: SCHEMA-UNKNOWN"],
        False,
    ),
    "SCHEMA-TYPE": (
        {"source/01-a.md": _section("Text.\n", front="title: [a, b]")},
        ["source/01-a.md:2: SCHEMA-TYPE"],
        False,
    ),
    "SCHEMA-VALUE": (
        {"source/publication.yaml": MINIMAL_CONFIG.replace("en-US", "English (US)")},
        ["source/publication.yaml:4: SCHEMA-VALUE"],
        False,
    ),
    "SOURCE-ENCODING": (
        {"source/01-a.md": b"---\ntitle: A\n---\n\nCaf\xe9.\n"},
        ["source/01-a.md:5:4: SOURCE-ENCODING"],
        False,
    ),
    "SOURCE-UNREADABLE": (
        {"source/02-a.md/notes.txt": "a directory is not a section file"},
        ["source/02-a.md: SOURCE-UNREADABLE"],
        False,
    ),
    "SOURCE-NO-SECTIONS": ({"source/01-first.md": None}, ["source: SOURCE-NO-SECTIONS"], False),
    "SECTION-NAME": (
        {"source/intro.md": _section("Text.\n")},
        ["source/intro.md: SECTION-NAME"],
        False,
    ),
    "SECTION-NO-FRONT-MATTER": (
        {"source/01-a.md": "Text.\n"},
        ["source/01-a.md:1: SECTION-NO-FRONT-MATTER"],
        False,
    ),
    "SECTION-ORDER": (
        {"source/01-a.md": _section("A.\n"), "source/01-b.md": _section("B.\n")},
        ["source/01-b.md: SECTION-ORDER"],
        False,
    ),
    "SECTION-ID": (
        {"source/01-a.md": _section("Text.\n", front="title: A\nid: 9lives")},
        ["source/01-a.md:3: SECTION-ID"],
        False,
    ),
    "SECTION-ID-DUPLICATE": (
        {
            "source/01-a.md": _section("A.\n", front="title: A\nid: same"),
            "source/02-b.md": _section("B.\n", front="title: B\nid: same"),
        },
        ["source/02-b.md: SECTION-ID-DUPLICATE"],
        False,
    ),
    "SECTION-EMPTY": (
        {"source/01-a.md": "---\ntitle: A\n---\n"},
        ["source/01-a.md:3: SECTION-EMPTY"],
        False,
    ),
    "SECTION-H1": (
        {"source/01-a.md": _section("# Big\n\nText.\n")},
        ["source/01-a.md:5: SECTION-H1"],
        False,
    ),
    "IMAGE-ALT": (
        {
            "source/01-a.md": _section("Text.\n\n![](images/map.png)\n"),
            "source/images/map.png": PNG,
        },
        ["source/01-a.md:7: IMAGE-ALT"],
        False,
    ),
    "IMAGE-MISSING": (
        {"source/01-a.md": _section("A map: ![Roads](images/map.png)\n")},
        ["source/01-a.md:5: IMAGE-MISSING"],
        False,
    ),
    "IMAGE-TYPE": (
        {"source/01-a.md": _section("![Roads](images/map.bmp)\n"), "source/images/map.bmp": b"BM"},
        ["source/01-a.md:5: IMAGE-TYPE"],
        False,
    ),
    "IMAGE-REMOTE": (
        {"source/01-a.md": _section("Text.\n\n![Roads](http://example.org/map.png)\n")},
        ["source/01-a.md:7: IMAGE-REMOTE"],
        False,
    ),
    "FOOTNOTE-BLOCK": (
        {"source/01-a.md": _section("Text[^1].\n\n[^1]: A note.\n\n    - an item\n")},
        ["source/01-a.md:9: FOOTNOTE-BLOCK"],
        False,
    ),
    "COMMENT-UNCLOSED": (
        {"source/01-a.md": _section("Text.\n\nA note <!-- held\n\nback -->\n")},
        ["source/01-a.md:7: COMMENT-UNCLOSED"],
        False,
    ),
    "CITATION-UNKNOWN": (
        {
            "source/publication.yaml": _BIB_CONFIG,
            "source/refs.json": _REFS,
            "source/01-a.md": _section("Text [@smtih].\n"),
        },
        ["source/01-a.md:5: CITATION-UNKNOWN"],
        False,
    ),
    "CITATION-NO-BIBLIOGRAPHY": (
        {"source/01-a.md": _section("Text [@smith].\n")},
        ["source/01-a.md:5: CITATION-NO-BIBLIOGRAPHY"],
        False,
    ),
    "BIBLIOGRAPHY-MISSING": (
        {"source/publication.yaml": _BIB_CONFIG},
        ["source/publication.yaml: BIBLIOGRAPHY-MISSING"],
        False,
    ),
    "BIBLIOGRAPHY-SYNTAX": (
        {"source/publication.yaml": _BIB_CONFIG, "source/refs.json": '[{"id": "a",}]'},
        ["source/refs.json:1:13: BIBLIOGRAPHY-SYNTAX"],
        False,
    ),
    "BIBLIOGRAPHY-TYPE": (
        {"source/publication.yaml": _config("bibliography: refs.txt\n"), "source/refs.txt": ""},
        ["source/refs.txt: BIBLIOGRAPHY-TYPE"],
        False,
    ),
    "BIBLIOGRAPHY-DUPLICATE": (
        {
            "source/publication.yaml": _config("bibliography: [refs.json, more.json]\n"),
            "source/refs.json": _REFS,
            "source/more.json": _REFS,
        },
        ["source/more.json:1: BIBLIOGRAPHY-DUPLICATE"],
        False,
    ),
    "CSL-UNKNOWN": (
        {
            "source/publication.yaml": _BIB_CONFIG + "csl: chicago-nonsense\n",
            "source/refs.json": _REFS,
        },
        ["source/publication.yaml: CSL-UNKNOWN"],
        False,
    ),
    "CSL-MISSING": (
        {"source/publication.yaml": _BIB_CONFIG + "csl: house.csl\n", "source/refs.json": _REFS},
        ["source/publication.yaml: CSL-MISSING"],
        False,
    ),
    "CROSSREF-UNKNOWN": (
        {"source/01-a.md": _section("See @fig-nowhere.\n")},
        ["source/01-a.md:5: CROSSREF-UNKNOWN"],
        False,
    ),
    "ID-DUPLICATE-EQUATION": (
        {"source/01-a.md": _section("$$x$$ {#eq-a}\n\n$$y$$ {#eq-a}\n")},
        ["source/01-a.md:7: ID-DUPLICATE-EQUATION"],
        False,
    ),
    "MATH-SYNTAX": (
        {"source/01-a.md": _section("Bad $\\frac{a$ math.\n")},
        ["source/01-a.md:5: MATH-SYNTAX"],
        False,
    ),
    "REFERENCES-TWICE": (
        {
            "source/publication.yaml": _BIB_CONFIG,
            "source/refs.json": _REFS,
            "source/01-a.md": _section(
                "Text [@smith].\n\n::: references\n:::\n\n::: references\n:::\n"
            ),
        },
        ["source/01-a.md:10: REFERENCES-TWICE"],
        False,
    ),
    "LINK-BROKEN": (
        {"source/01-a.md": _section("See [there](#nowhere).\n")},
        ["source/01-a.md:5:13: LINK-BROKEN"],
        False,
    ),
    "TEXT-MIDSENTENCE": (
        {"source/01-a.md": _section("Done.\n\nPoliticians promise to\n")},
        ["source/01-a.md:7:22: TEXT-MIDSENTENCE"],
        False,
    ),
    "TEXT-INCOMPLETE": (
        {
            "source/01-a.md": _section(
                "Politicians promise to\n", front="title: A\nstatus: incomplete"
            )
        },
        ["source/01-a.md:6:22: TEXT-INCOMPLETE"],
        False,
    ),
    "PARAGRAPH-MIDSENTENCE": (
        {"source/01-a.md": _section("It stops\nhere\n\nThe end.\n")},
        ["source/01-a.md:6:4: PARAGRAPH-MIDSENTENCE"],
        False,
    ),
    "HEADING-JUMP": (
        {"source/01-a.md": _section("Text.\n\n#### Deep\n\nMore.\n")},
        ["source/01-a.md:7:1: HEADING-JUMP"],
        False,
    ),
    "SECTION-ORDER-GAP": (
        {"source/01-a.md": _section("A.\n"), "source/03-c.md": _section("C.\n", "title: C")},
        ["source/03-c.md:1:1: SECTION-ORDER-GAP"],
        False,
    ),
    "ID-DUPLICATE": (
        {"source/01-a.md": _section("{#x}\n## One\n\nText.\n\n{#x}\n## Two\n\nMore.\n")},
        ["source/01-a.md:11:1: ID-DUPLICATE"],
        False,
    ),
    "QUOTES-STRAIGHT": (
        {"source/01-a.md": _section("It began in\nthe '90s.\n")},
        ["source/01-a.md:6:5: QUOTES-STRAIGHT"],
        False,
    ),
    "HTML-RAW": (
        {"source/01-a.md": _section("One line<br>and the next.\n")},
        ["source/01-a.md:5:9: HTML-RAW"],
        False,
    ),
    "WORD-REPEATED": (
        {"source/01-a.md": _section("This is the\nthe end.\n")},
        ["source/01-a.md:6:1: WORD-REPEATED"],
        False,
    ),
    "PARAGRAPH-LONG": (
        {
            "source/publication.yaml": _config("check:\n  paragraph_words: 5\n"),
            "source/01-a.md": _section("Short one.\n\n  One two three four five six.\n"),
        },
        ["source/01-a.md:7:3: PARAGRAPH-LONG"],
        False,
    ),
    "WHITESPACE-TRAILING": (
        {"source/01-a.md": _section("Text. \t\n")},
        ["source/01-a.md:5:6: WHITESPACE-TRAILING"],
        False,
    ),
    "GLYPH-MISSING": (  # Greek, arrows, maths and emoji are drawn; Chinese and an icon
        # font's private-use character are not: one report for each kind, at its first place
        {"source/01-a.md": _section("Ωμέγα → ∀ 😀 fine.\n\nThe word 漢字, icon \uf0c1 and 漢.\n")},
        ["source/01-a.md:7:10: GLYPH-MISSING", "source/01-a.md:7:19: GLYPH-MISSING"],
        False,
    ),
    "STATUS-NOT-FINAL": (
        {"source/01-a.md": _section("Text.\n", front="title: A\nstatus:  draft")},
        ["source/01-a.md:3:10: STATUS-NOT-FINAL"],
        True,
    ),
    "HTML-COMMENT": (
        {"source/01-a.md": _section("Text.<!-- aside -->\n\n<!--\nheld back\n-->\n")},
        ["source/01-a.md:5: HTML-COMMENT", "source/01-a.md:7: HTML-COMMENT"],
        False,
    ),
    "MARKUP-UNSUPPORTED": (
        {"source/01-a.md": _section("| a | b |\n|---|---|\n| `p || q` | c |\n\nDone.\n")},
        ["source/01-a.md:7: MARKUP-UNSUPPORTED"],
        False,
    ),
    "BIBLIOGRAPHY-UNCITED": (
        {"source/publication.yaml": _BIB_CONFIG, "source/refs.json": _REFS},
        ["source/refs.json:1: BIBLIOGRAPHY-UNCITED"],
        False,
    ),
    "CHECK-IGNORE-UNKNOWN": (
        {"source/publication.yaml": _config("check:\n  ignore: [PARAGRAPH-LOGN]\n")},
        ["source/publication.yaml:6: CHECK-IGNORE-UNKNOWN"],
        False,
    ),
}


def _write(make_project: MakeProject, files: dict[str, str | bytes | None]) -> Path:
    root = make_project({k: v for k, v in files.items() if v is not None})
    for name, content in files.items():
        if content is None:
            (root / name).unlink()
    return root


def _report(root: Path, release: bool = False) -> list[str]:
    try:
        found = check_project(root, release=release)
    except MxError as exc:
        found = list(exc.diagnostics)
    where = [
        ":".join(str(p) for p in (d.file or "", d.line, d.col) if p is not None) for d in found
    ]
    return [f"{w}: {d.code}" for w, d in zip(where, found, strict=True)]


def test_every_rule_has_a_fixture() -> None:
    assert [rule.id for rule in all_rules()] == list(FIXTURES)
    assert all(rule.summary and "\n" not in rule.summary for rule in all_rules())


@pytest.mark.parametrize("rule_id", list(FIXTURES))
def test_rule_fixture(rule_id: str, make_project: MakeProject) -> None:
    files, expected, release = FIXTURES[rule_id]
    root = _write(make_project, files)
    assert _report(root, release=release) == expected
    if release:
        assert _report(root) == []  # release rules stay quiet otherwise


def test_a_clean_project_has_no_findings(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": _section("He said “stop.” It’s done.\n")})
    assert _report(root, release=True) == []


def test_ignores_everywhere_and_per_file(make_project: MakeProject) -> None:
    repeated = _section("It is the the end.\n")
    files = {"source/01-a.md": repeated, "source/02-b.md": repeated}
    root = make_project(files)
    both = ["source/01-a.md:5:11: WORD-REPEATED", "source/02-b.md:5:11: WORD-REPEATED"]
    assert _report(root) == both
    config = _config("check:\n  ignore_in:\n    02-*.md: [WORD-REPEATED]\n")
    root = make_project({**files, "source/publication.yaml": config})
    assert _report(root) == ["source/01-a.md:5:11: WORD-REPEATED"]
    config = _config("check:\n  ignore: [WORD-REPEATED]\n")
    root = make_project({**files, "source/publication.yaml": config})
    assert _report(root) == []


def test_ignoring_an_unknown_or_a_source_rule_is_reported(make_project: MakeProject) -> None:
    config = _config("check:\n  ignore: [WORD-REPEATD, LINK-BROKEN]\n")
    root = make_project({"source/publication.yaml": config})
    found = check_project(root)
    assert [d.message for d in found] == [
        "`check:` ignores 'WORD-REPEATD', which is not a rule",
        "LINK-BROKEN is found while loading the sources and cannot be ignored",
    ]
    assert found[0].hint == "did you mean WORD-REPEATED?"


def test_bad_check_settings_are_schema_errors(make_project: MakeProject) -> None:
    config = _config("check:\n  ignore_list: [X]\n  paragraph_words: many\n")
    root = make_project({"source/publication.yaml": config})
    assert _report(root) == [
        "source/publication.yaml:6: SCHEMA-TYPE",
        "source/publication.yaml:6: SCHEMA-UNKNOWN",
    ]


def test_straight_quotes_in_raw_html_when_raw_html_is_allowed(make_project: MakeProject) -> None:
    """Typography does not reach raw HTML: its straight quotes are reported, its tags are not
    HTML-RAW findings (they are markup, not printed text)."""
    body = '<div class="box">\nHe said "no".\n</div>\n\nThe end.\n'
    root = make_project({"source/01-a.md": _section(body)})
    publication = load_publication(Project(root), create_parser(allow_html=True))
    found = [(d.code, d.line, d.col, d.message) for d in lint(publication)]
    assert found == [
        (
            "QUOTES-STRAIGHT",
            6,
            9,
            'straight quote in raw HTML, which typography does not reach: "no".',
        )
    ]


def test_check_command_reports_source_errors_in_the_same_form(make_project: MakeProject) -> None:
    root = make_project(
        {"source/01-a.md": _section("[x](#nowhere)\n", front="title: A\ncolour: red")}
    )
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(root)])
    assert result.exit_code == 1
    assert "source/01-a.md:3: error: SCHEMA-UNKNOWN unknown key `colour`" in result.output
    assert "1 error(s), 0 warning(s)" in result.output
    as_json = runner.invoke(main, ["check", "--format", "json", str(root)])
    assert as_json.exit_code == 1
    assert [d["code"] for d in json.loads(as_json.stdout)] == ["SCHEMA-UNKNOWN"]


def test_check_release_and_list_rules(make_project: MakeProject) -> None:
    root = make_project({"source/01-a.md": _section("Text.\n", front="title: A\nstatus: review")})
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(root)]).exit_code == 0
    released = runner.invoke(main, ["check", "--release", str(root)])
    assert released.exit_code == 1
    assert "source/01-a.md:3:9: error: STATUS-NOT-FINAL" in released.output
    listed = runner.invoke(main, ["check", "--list-rules"]).output.splitlines()
    assert len(listed) == len(all_rules())
    assert [line.split()[0] for line in listed] == [rule.id for rule in all_rules()]
    assert listed[-len(RULES)].split()[:2] == ["TEXT-MIDSENTENCE", "error"]
    rows = json.loads(runner.invoke(main, ["check", "--list-rules", "--format", "json"]).output)
    by_id = {row["id"]: row for row in rows}
    assert by_id["WORD-REPEATED"]["severity"] == "warning"
    assert by_id["STATUS-NOT-FINAL"]["summary"].endswith("in a release build")


def test_line_blocks_and_attributions_need_no_full_stop(make_project: MakeProject) -> None:
    body = (
        "> Words worth quoting.\n>\n> — A. Author\n\n::: lines\nOffice of Typesetting\n"
        "12 Quay Street\n:::\n\nThe end.\n"
    )
    assert _report(make_project({"source/01-a.md": _section(body)})) == []


@pytest.mark.parametrize(
    "body",
    [
        "In this part you will learn how to:\n\n- pack a crate\n- publish a crate\n",
        "The two loops are equivalent to\n\n```text\nloop { step() }\n```\n",
        "For example,\n\n    step()\n\nThe end.\n",
        "Compare the table\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        "這是一句話。\n",
        "これは文です！\n\n一つの段落です？\n",
        "क्या यह वाक्य है।\n",
        "هل هذه جملة؟\n",
    ],
)
def test_written_endings_are_not_mid_sentence(body: str, make_project: MakeProject) -> None:
    """A list of fragments, text that introduces a code block or table, and the full stops
    of other scripts end text as written: no TEXT- or PARAGRAPH-MIDSENTENCE."""
    found = _report(make_project({"source/01-a.md": _section(body)}))
    assert [f for f in found if "MIDSENTENCE" in f] == []


@pytest.mark.parametrize(
    "body",
    [
        "Steps:\n\n- Pack the crate.\n- Publish the crate.\n- Announce it to\n",
        "One step remains:\n\n- publish the crate to\n",
        "The two loops are equivalent to\n\n```text\nloop { step() }\n```\n\nand then the\n",
    ],
)
def test_a_cut_off_list_or_paragraph_is_still_mid_sentence(
    body: str, make_project: MakeProject
) -> None:
    root = make_project({"source/01-a.md": _section(body)})
    found = _report(root)
    assert [f.split(": ")[1] for f in found if "MIDSENTENCE" in f] == ["TEXT-MIDSENTENCE"]
    (message,) = [d.message for d in check_project(root) if d.code == "TEXT-MIDSENTENCE"]
    assert "\n" not in message
