"""Every bad input gets its exact message, exit code and no output; docs/errors.md lists them."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINIMAL_CONFIG, MakeProject
from helpers import REPO
from mxpublish.cli import main

OK = "---\ntitle: First\n---\n\nSome text.\n"
HTML_ON = MINIMAL_CONFIG + "allow_html: true\n"


@dataclass(frozen=True)
class Case:
    """One bad input: the project files that show it and the exact lines on stderr."""

    id: str
    files: dict[str, str | bytes]
    stderr: tuple[str, ...]
    exit_code: int = 1
    links: dict[str, str] = field(default_factory=dict)  # symlink in project → target


CASES = [
    Case(
        "yaml-syntax-config",
        {"source/publication.yaml": MINIMAL_CONFIG + "subtitle: US Troops: What Now\n"},
        (
            "source/publication.yaml:6:20: error: YAML-SYNTAX invalid YAML: "
            "mapping values are not allowed here",
            "  hint: check indentation, colons and quotes",
        ),
    ),
    Case(
        "yaml-syntax-front-matter",
        {"source/01-a.md": "---\ntitle: A\nsummary: Troops: what now\n---\n\nText.\n"},
        (
            "source/01-a.md:3:16: error: YAML-SYNTAX invalid YAML: "
            "mapping values are not allowed here",
            "  hint: check indentation, colons and quotes",
        ),
    ),
    Case(
        "yaml-value",
        {"source/publication.yaml": MINIMAL_CONFIG.replace("2024-05-01", "2024-13-45")},
        (
            "source/publication.yaml:3:7: error: YAML-VALUE invalid value '2024-13-45': "
            "month must be in 1..12",
            '  hint: put the value in quotes ("...") to keep it as text',
        ),
    ),
    Case(
        "yaml-duplicate-key",
        {"source/01-a.md": "---\ntitle: A\ntitle: B\n---\n\nText.\n"},
        (
            "source/01-a.md:3: error: YAML-DUPLICATE-KEY key `title` appears twice "
            "(first on line 2)",
            "  hint: keep one of them",
        ),
    ),
    Case(
        "yaml-not-mapping",
        {"source/01-a.md": "---\n- just a list\n---\n\nText.\n"},
        ("source/01-a.md:2: error: YAML-NOT-MAPPING expected `key: value` lines",),
    ),
    Case(
        "missing-required-key",
        {"source/publication.yaml": MINIMAL_CONFIG.replace("language: en-US\n", "")},
        (
            "source/publication.yaml:1: error: SCHEMA-MISSING required key `language` "
            "is missing or empty",
        ),
    ),
    Case(
        "missing-section-title",
        {"source/01-a.md": "---\nsummary: S\n---\n\nText.\n"},
        ("source/01-a.md:1: error: SCHEMA-MISSING required key `title` is missing or empty",),
    ),
    Case(
        "wrong-type",
        {"source/publication.yaml": MINIMAL_CONFIG.replace("[Test Office]", "3")},
        ("source/publication.yaml:2: error: SCHEMA-TYPE `authors` must be a list of text items",),
    ),
    Case(
        "wrong-flag",
        {"source/publication.yaml": MINIMAL_CONFIG + "allow_html: yes please\n"},
        (
            "source/publication.yaml:6: error: SCHEMA-TYPE `allow_html` must be true or false, "
            "not 'yes please'",
        ),
    ),
    Case(
        "unknown-key",
        {"source/publication.yaml": MINIMAL_CONFIG + "titel: X\n"},
        (
            "source/publication.yaml:6: error: SCHEMA-UNKNOWN unknown key `titel`",
            "  hint: did you mean `title`?",
        ),
    ),
    Case(
        "control-character-in-yaml-value",
        {"source/01-a.md": '---\ntitle: "A\\x07"\n---\n\nText.\n'},
        (
            "source/01-a.md:2: error: SCHEMA-TYPE `title` contains control character U+0007, "
            "which is not allowed in text",
        ),
    ),
    Case(
        "duplicate-order-number",
        {"source/01-a.md": OK, "source/1-b.md": OK},
        (
            "source/1-b.md: error: SECTION-ORDER order number 1 is also used by source/01-a.md",
            "  hint: give every section its own number",
        ),
    ),
    Case(
        "duplicate-section-id",
        {
            "source/01-a.md": "---\ntitle: A\nid: same\n---\n\nx.\n",
            "source/02-b.md": "---\ntitle: B\nid: same\n---\n\ny.\n",
        },
        (
            "source/02-b.md: error: SECTION-ID-DUPLICATE section id 'same' is also used by "
            "source/01-a.md",
            "  hint: set a different `id` in the front matter",
        ),
    ),
    Case(
        "bad-file-name",
        {"source/01-a.md": OK, "source/notes.md": OK},
        (
            "source/notes.md: error: SECTION-NAME section file names must look like `NN-name.md` "
            "(a number, a hyphen, a name)",
        ),
    ),
    Case(
        "empty-section",
        {"source/01-a.md": "---\ntitle: A\n---\n\n"},
        ("source/01-a.md:3: error: SECTION-EMPTY section has no text",),
    ),
    Case(
        "empty-file",
        {"source/01-a.md": ""},
        (
            "source/01-a.md: error: SECTION-EMPTY section file is empty",
            "  hint: add `---`, `title: Your title`, `---` and the text, or delete the file",
        ),
    ),
    Case(
        "no-front-matter",
        {"source/01-a.md": "Just text.\n"},
        (
            "source/01-a.md:1: error: SECTION-NO-FRONT-MATTER a section starts with front "
            "matter between `---` lines",
            "  hint: add `---`, `title: Your title`, `---` at the top",
        ),
    ),
    Case(
        "level-1-heading",
        {"source/01-a.md": "---\ntitle: A\n---\n\n# Big\n\nText.\n"},
        (
            "source/01-a.md:5: error: SECTION-H1 `# Big` is a level-1 heading",
            "  hint: the section title comes from front matter `title`; use `##` inside",
        ),
    ),
    Case(
        "not-utf8",
        {"source/01-a.md": b"---\ntitle: A\n---\n\nCaf\xe9 society.\n"},
        (
            "source/01-a.md:5:4: error: SOURCE-ENCODING not valid UTF-8: byte 0xe9 at offset 21",
            "  hint: save the file as UTF-8",
        ),
    ),
    Case(
        "utf16",
        {"source/01-a.md": "---\ntitle: A\n---\n\nText.\n".encode("utf-16")},
        (
            "source/01-a.md:1:1: error: SOURCE-ENCODING not valid UTF-8: byte 0xff at offset 0",
            "  hint: the file is UTF-16; save it as UTF-8",
        ),
    ),
    Case(
        "control-character",
        {"source/01-a.md": "---\ntitle: A\n---\n\nText\x0c here.\n"},
        (
            "source/01-a.md:5:5: error: SOURCE-CONTROL-CHAR control character U+000C "
            "is not allowed in text",
            "  hint: delete it: it is invisible in print and not allowed in EPUB (XHTML)",
        ),
    ),
    Case(
        "comment-unclosed",
        {"source/01-a.md": "---\ntitle: A\n---\n\nText <!-- a note\n\nthat runs on -->\n"},
        (
            "source/01-a.md:5: error: COMMENT-UNCLOSED comment `<!--` is not closed in its "
            "paragraph: the rest would be printed",
            "  hint: close it before the blank line that ends the paragraph, or start a comment "
            "of several paragraphs on a line of its own",
        ),
    ),
    Case(
        "footnote-defined-twice",
        {"source/01-a.md": "---\ntitle: A\n---\n\nText[^1].\n\n[^1]: One.\n\n[^1]: Two.\n"},
        (
            "source/01-a.md:9: error: FOOTNOTE-DUPLICATE footnote [^1] is defined twice "
            "(first on line 7)",
            "  hint: give each note its own label",
        ),
    ),
    Case(
        "footnote-never-referenced",
        {"source/01-a.md": "---\ntitle: A\n---\n\nText.\n\n[^note]: Orphan.\n"},
        (
            "source/01-a.md:7: error: FOOTNOTE-UNUSED footnote [^note] is never referenced, "
            "so its text would not appear",
            "  hint: cite it in the text with [^note], or delete it",
        ),
    ),
    Case(
        "unsafe-attribute",
        {"source/01-a.md": '---\ntitle: A\n---\n\n{onclick="steal()"}\nText.\n'},
        (
            "source/01-a.md:6: error: MARKDOWN-ATTRIBUTE attribute `onclick` is not allowed",
            "  hint: {...} may set only class, dir, id, lang, title",
        ),
    ),
    Case(
        "nesting-too-deep",
        {"source/01-a.md": "---\ntitle: A\n---\n\n" + ">" * 3000 + " deep\n"},
        (
            "source/01-a.md:5: error: SECTION-NESTING lists, quotes or callouts are nested too "
            "deeply here (more than 40 levels of markup)",
            "  hint: flatten the structure: readers cannot follow such nesting either",
        ),
    ),
    Case(
        "inline-nesting-too-deep",
        {"source/01-a.md": "---\ntitle: A\n---\n\n" + "*" * 3000 + "deep" + "*" * 3000 + "\n"},
        (
            "source/01-a.md:5: error: SECTION-NESTING emphasis, links or other inline markup "
            "nested more than 20 deep",
            "  hint: unbalanced `*` or `_`? Escape literal ones as `\\*`",
        ),
    ),
    Case(
        "raw-html-too-deep",
        {
            "source/publication.yaml": HTML_ON,
            "source/01-a.md": "---\ntitle: A\n---\n\n<div>\n" + "<div>" * 500 + "deep\n",
        },
        (
            "source/01-a.md: error: SECTION-NESTING HTML elements nested more than 100 deep",
            "  hint: simplify the raw HTML",
        ),
    ),
    Case(
        "raw-html-image-url",
        {
            "source/publication.yaml": HTML_ON,
            "source/01-a.md": '---\ntitle: A\n---\n\nA <img src="https://example.com/x.png">\n',
        },
        (
            "source/01-a.md:5: error: SANDBOX-URL 'https://example.com/x.png' is a URL; builds "
            "never fetch anything from the network or from outside the project",
            "  hint: save the file in the project and refer to it by its relative path",
        ),
    ),
    Case(
        "raw-html-image-escape",
        {
            "source/publication.yaml": HTML_ON,
            "source/01-a.md": '---\ntitle: A\n---\n\n<img src="../../etc/passwd">\n',
        },
        (
            "source/01-a.md:5: error: SANDBOX-ESCAPE '../../etc/passwd' points outside the project",
            "  hint: keep the file inside the project and refer to it by a relative path",
        ),
    ),
    Case(
        "raw-html-image-absolute",
        {
            "source/publication.yaml": HTML_ON,
            "source/01-a.md": '---\ntitle: A\n---\n\n<img src="/etc/passwd">\n',
        },
        (
            "source/01-a.md:5: error: SANDBOX-ABSOLUTE absolute path '/etc/passwd' is not allowed",
            "  hint: refer to files inside the project with relative paths",
        ),
    ),
    Case(
        "raw-html-image-missing",
        {
            "source/publication.yaml": HTML_ON,
            "source/01-a.md": '---\ntitle: A\n---\n\nSee <img src="images/map.png" alt="Map">\n',
        },
        ("source/01-a.md:5: error: RESOURCE-MISSING image 'images/map.png' not found",),
    ),
    Case(
        "raw-html-image",
        {
            "source/publication.yaml": HTML_ON,
            "source/01-a.md": '---\ntitle: A\n---\n\nSee <img src="images/map.png" alt="Map">\n',
            "source/images/map.png": b"\x89PNG\r\n",
        },
        (
            "source/01-a.md:5: error: HTML-IMG images in raw HTML are not supported",
            "  hint: write it in Markdown: ![alt text](images/map.png)",
        ),
    ),
    Case(
        "css-import",
        {"styles/custom.css": '@import "more.css";\np { color: red }\n', "styles/more.css": ""},
        (
            "styles/custom.css:1: error: STYLE-IMPORT @import is not supported",
            "  hint: put the rules in styles/custom.css itself",
        ),
    ),
    Case(
        "css-url",
        {"styles/custom.css": 'p {\n  background: url("http://127.0.0.1:9/bg.png");\n}\n'},
        (
            "styles/custom.css:2: error: SANDBOX-URL 'http://127.0.0.1:9/bg.png' is a URL; "
            "builds never fetch anything from the network or from outside the project",
            "  hint: save the file in the project and refer to it by its relative path",
        ),
    ),
    Case(
        "css-escape",
        {"styles/custom.css": "h2 { background: url(../../etc/passwd) }\n"},
        (
            "styles/custom.css:1: error: SANDBOX-ESCAPE '../../etc/passwd' points outside the "
            "project",
            "  hint: keep the file inside the project and refer to it by a relative path",
        ),
    ),
    Case(
        "css-missing",
        {"styles/custom.css": "h2 { background: url(rule.png) }\n"},
        (
            "styles/custom.css:1: error: RESOURCE-MISSING 'rule.png' not found",
            "  hint: looked for styles/rule.png",
        ),
    ),
    Case(
        "section-links-out",
        {"source/01-a.md": OK},
        (
            "source/02-b.md: error: SANDBOX-ESCAPE is a symbolic link to a file outside the "
            "project",
            "  hint: copy the file into the project instead of linking to it",
        ),
        links={"source/02-b.md": "../../outside.md"},
    ),
    Case(
        "template-links-out",
        {},
        (
            "templates/_titlepage.html.j2: error: SANDBOX-ESCAPE is a symbolic link to a file "
            "outside the project",
            "  hint: copy the file into the project instead of linking to it",
        ),
        links={"templates/_titlepage.html.j2": "../../outside.md"},
    ),
    Case(
        "broken-symlink",
        {"source/01-a.md": OK},
        ("source/02-b.md: error: SOURCE-UNREADABLE cannot read: broken symbolic link",),
        links={"source/02-b.md": "nowhere.md"},
    ),
    Case(
        "not-a-file",
        {"source/01-a.md": OK, "source/02-b.md/keep": ""},
        ("source/02-b.md: error: SOURCE-UNREADABLE cannot read: not a regular file",),
    ),
    Case(
        "template-error",
        {"templates/_titlepage.html.j2": "<p>\n{{ meta.nosuchthing }}</p>"},
        (
            "templates/_titlepage.html.j2:2: error: TEMPLATE template error: "
            "'mxpublish.model.Metadata object' has no attribute 'nosuchthing'",
        ),
    ),
]


def _build(root: Path, *args: str) -> tuple[int, str]:
    # -q: the messages alone, without the progress lines
    result = CliRunner().invoke(main, ["build", str(root), "-q", "-f", "html", "-f", "epub", *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_its_exact_message(case: Case, make_project: MakeProject) -> None:
    root = make_project(case.files)
    (root.parent / "outside.md").write_text(OK)
    for name, target in case.links.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(target)
    code, stderr = _build(root)
    assert (code, stderr.splitlines()) == (case.exit_code, list(case.stderr))
    assert not list(root.glob("build/*")) and not list(root.glob("build/.*"))


def test_check_reports_stylesheet_problems_without_rendering(make_project: MakeProject) -> None:
    root = make_project({"styles/custom.css": "p { background: url(/etc/passwd) }\n"})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "styles/custom.css:1: error: SANDBOX-ABSOLUTE absolute path '/etc/passwd' is not allowed"
    )


def test_all_problems_of_all_files_are_reported_in_one_run(make_project: MakeProject) -> None:
    root = make_project(
        {
            "source/publication.yaml": MINIMAL_CONFIG + "titel: X\n",
            "source/01-a.md": "---\ntitle: A\n---\n\nSee [b](02-b.md#nowhere) [c](03-c.md).\n",
            "source/02-b.md": "---\ntitle: B\n---\n\n## Somewhere\n\nText.\n",
            "source/03-c.md": b"---\ntitle: C\n---\n\n\xff\n",
        }
    )
    code, stderr = _build(root)
    codes = [
        line.split(": error: ")[1].split()[0] for line in stderr.splitlines() if "error" in line
    ]
    # errors only (a broken link is a warning, shown once the errors are fixed); the link
    # into 03-c.md, which failed to parse, is not checked at all
    assert (code, codes) == (1, ["SCHEMA-UNKNOWN", "SOURCE-ENCODING"])


def test_bom_and_crlf_in_sections_are_accepted_silently(make_project: MakeProject) -> None:
    text = "\ufeff---\r\ntitle: A\r\n---\r\n\r\nLine one\r\ncontinues.\r\n"
    root = make_project({"source/01-a.md": text.encode("utf-8")})
    code, stderr = _build(root)
    assert (code, stderr) == (0, "")
    html = (root / "build" / "a-test-publication.html").read_text(encoding="utf-8")
    assert "Line one\ncontinues." in html and "\r" not in html and "\ufeff" not in html


def test_unreadable_file(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root can read any file, so the permission error is injected where the file is read."""
    root = make_project({})
    original = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "01-first.md":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, stderr = _build(root)
    assert (code, stderr) == (
        1,
        "source/01-first.md: error: SOURCE-UNREADABLE cannot read: Permission denied\n",
    )


def test_output_directory_that_is_a_file(make_project: MakeProject, tmp_path: Path) -> None:
    from mxpublish.build import build
    from mxpublish.errors import OutputError

    root = make_project({})
    blocker = tmp_path / "out"
    blocker.write_text("a file")
    code, stderr = _build(root, "-o", str(blocker))  # Click checks -o itself: a usage error
    assert code == 2 and f"Directory '{blocker}' is a file." in stderr
    with pytest.raises(OutputError) as exc:
        build(root, ["html"], blocker)
    assert exc.value.diagnostics[0].format() == (
        f"error: OUTPUT-UNWRITABLE cannot write to {blocker}: it is a file, not a directory"
    )
    code, stderr = _build(root, "-o", str(blocker / "sub"))
    assert (code, stderr) == (
        1,
        f"error: OUTPUT-UNWRITABLE cannot write to {blocker / 'sub'}: Not a directory\n",
    )


def test_output_directory_without_permission(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root may write anywhere, so the refusal is injected into temporary-file creation."""
    import tempfile

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    root = make_project({})
    code, stderr = _build(root, "-o", str(tmp_path / "out"))
    assert (code, stderr) == (
        1,
        f"error: OUTPUT-UNWRITABLE cannot write to {tmp_path / 'out'}: Permission denied\n",
    )


def test_missing_project_and_config(tmp_path: Path) -> None:
    code, stderr = _build(tmp_path / "nope")
    assert (code, stderr) == (
        1,
        f"error: PROJECT-MISSING project directory {str(tmp_path / 'nope')!r} not found\n",
    )
    code, stderr = _build(tmp_path)
    assert code == 1
    assert stderr == (
        f"error: PROJECT-NO-CONFIG source/publication.yaml not found in {tmp_path}\n"
        "  hint: run `mxpublish init DIR` to create a new project\n"
    )


def test_no_sections(make_project: MakeProject) -> None:
    root = make_project({})
    (root / "source" / "01-first.md").unlink()
    code, stderr = _build(root)
    assert (code, stderr) == (
        1,
        "source: error: SOURCE-NO-SECTIONS no sections found\n"
        "  hint: add files named like source/01-introduction.md\n",
    )


def test_usage_errors_exit_2(make_project: MakeProject) -> None:
    from mxpublish.build import build
    from mxpublish.errors import UsageError

    result = CliRunner().invoke(main, ["build", "--format", "docx"])
    assert result.exit_code == 2
    assert "Error: Invalid value for '--format' / '-f': 'docx' is not one of" in result.stderr
    assert CliRunner().invoke(main, ["publish"]).exit_code == 2
    with pytest.raises(UsageError) as exc:
        build(make_project({}), ["docx"])
    assert exc.value.exit_code == 2
    assert exc.value.diagnostics[0].format() == (
        "error: FORMAT-UNKNOWN unknown format 'docx'\n  hint: choose from pdf, epub, html"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("yesterday", "invalid literal for int() with base 10: 'yesterday'"),
        ("99999999999999", "year 3170843 is out of range"),
    ],
)
def test_bad_source_date_epoch_is_a_usage_error(
    value: str, reason: str, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    code, stderr = _build(make_project({}), "-f", "pdf")  # WeasyPrint would fail on it too
    assert (code, stderr) == (
        2,
        f"error: SOURCE-DATE-EPOCH SOURCE_DATE_EPOCH={value!r} is not a usable time: {reason}\n"
        "  hint: set it to whole seconds since 1970-01-01 UTC, or unset it\n",
    )


def test_internal_error_is_one_line_and_exit_70(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mxpublish.render.html

    def broken(_document: str) -> bytes:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(mxpublish.render.html, "render_html", broken)
    root = make_project({})
    result = CliRunner().invoke(main, ["build", str(root), "-q", "-f", "html"])
    assert (result.exit_code, result.stderr) == (
        70,
        "internal error: ZeroDivisionError: division by zero\n"
        "  this is a bug in mxpublish; run with --debug to see the traceback\n",
    )
    debug = CliRunner().invoke(main, ["--debug", "build", str(root), "-f", "html"])
    assert debug.exit_code == 70 and "Traceback" in debug.stderr


def test_docs_list_every_message_exactly() -> None:
    """docs/errors.md shows each case's lines verbatim (between double backticks)."""
    docs = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    for case in CASES:
        for line in case.stderr:
            assert f"`` {line.strip()} ``" in docs, (case.id, line)
    assert "docs/errors.md" in (REPO / "README.md").read_text(encoding="utf-8")
