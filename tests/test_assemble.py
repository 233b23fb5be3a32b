"""Jinja2 assembly: escaping, overrides, XHTML well-formedness, cross-file links."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from conftest import MINIMAL_CONFIG, MakeProject
from mxpublish.assemble.documents import document_html, environment, epub_documents, stylesheet
from mxpublish.project import Project
from mxpublish.source.sections import load_publication

TWO_SECTIONS = {
    "source/01-a.md": "---\ntitle: A <b>&</b>\n---\n\nSee [B's part](02-b.md#part).\n",
    "source/02-b.md": "---\ntitle: B\nstatus: incomplete\n---\n\n## Part\n\nIt stops at\n",
}


def test_metadata_is_escaped_not_interpreted(make_project: MakeProject) -> None:
    config = MINIMAL_CONFIG.replace("A Test Publication", "'{{ 7*7 }} <script>'")
    root = make_project({"source/publication.yaml": config, **TWO_SECTIONS})
    project = Project(root)
    html = document_html(load_publication(project), environment(project), "print")
    assert "{{ 7*7 }} &lt;script&gt;" in html and "<script>" not in html
    assert "A &lt;b&gt;&amp;&lt;/b&gt;" in html


def test_epub_documents_are_well_formed_xhtml_with_resolved_links(
    make_project: MakeProject,
) -> None:
    project = Project(make_project(TWO_SECTIONS))
    docs = epub_documents(load_publication(project), environment(project))
    assert [d.name for d in docs] == [
        "text/titlepage.xhtml",
        "nav.xhtml",
        "text/01-a.xhtml",
        "text/02-b.xhtml",
    ]
    for doc in docs:
        ET.fromstring(doc.content.encode())  # raises on malformed XML
    assert 'href="02-b.xhtml#part"' in docs[2].content
    assert 'href="text/02-b.xhtml#part"' in docs[1].content
    assert "editor-note" in docs[3].content and "editor-note" not in docs[2].content


def test_project_template_overrides_and_extends_the_theme(make_project: MakeProject) -> None:
    root = make_project(
        {
            **TWO_SECTIONS,
            "templates/_titlepage.html.j2": '<div class="mine">{{ meta.title }}</div>'
            '{% include "!theme/_titlepage.html.j2" %}',
        }
    )
    project = Project(root)
    html = document_html(load_publication(project), environment(project), "print")
    assert '<div class="mine">A Test Publication</div>' in html
    assert 'class="titlepage"' in html


def test_stylesheet_layers_project_css_over_the_theme(make_project: MakeProject) -> None:
    root = make_project({"styles/custom.css": "/* mine */", "styles/epub.css": "/* epub */"})
    project = Project(root)
    print_css = stylesheet(project, "print")
    assert "@page" in print_css and print_css.rstrip().endswith("/* mine */")
    epub_css = stylesheet(project, "epub")
    assert "/* epub */" in epub_css and "reading systems" not in epub_css


def test_web_document_inlines_css(make_project: MakeProject) -> None:
    project = Project(make_project(TWO_SECTIONS))
    html = document_html(load_publication(project), environment(project), "web", css="b{}")
    assert "<style>\nb{}\n</style>" in html and 'class="skip-link"' in html
