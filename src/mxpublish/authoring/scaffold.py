"""``mxpublish init`` and ``new section``: a new project from one of the theme's scaffolds
(briefing or book) that builds as it is, and the next section file of a project."""

from __future__ import annotations

import datetime as dt
import uuid
from importlib import resources
from pathlib import Path

import yaml

from mxpublish.errors import ProjectError, error
from mxpublish.project import atomic_write, find_project
from mxpublish.source.metadata import slugify
from mxpublish.source.sections import SECTION_FILE_RE

SCAFFOLD = resources.files("mxpublish").joinpath("theme", "scaffold")
#: scaffold file → where it goes in the new project (dotfiles are stored without the dot).
FILES = {
    "source/01-introduction.md": "source/01-introduction.md",
    "source/02-background.md": "source/02-background.md",
    "source/references.bib": "source/references.bib",
    "styles/custom.css": "styles/custom.css",
    "gitignore": ".gitignore",
}
TEMPLATES: dict[str, dict[str, str]] = {
    "briefing": FILES,
    "book": {
        "book/source/01-preface.md": "source/01-preface.md",
        "book/source/02-first-chapter.md": "source/02-first-chapter.md",
        "book/source/03-second-chapter.md": "source/03-second-chapter.md",
        "book/styles/custom.css": "styles/custom.css",
        "gitignore": ".gitignore",
    },
}


def create_project(
    directory: Path, title: str, today: dt.date | None = None, template: str = "briefing"
) -> list[Path]:
    """Write publication.yaml (fresh identifier, given title) and the template's example
    sections and styles.

    Refuses a directory that already holds a project, so nothing is overwritten.
    """
    if template not in TEMPLATES:
        raise ProjectError(
            error(
                "INIT-TEMPLATE",
                f"unknown template {template!r}",
                hint="choose " + " or ".join(TEMPLATES),
            )
        )
    config = directory / "source" / "publication.yaml"
    if config.exists():
        raise ProjectError(error("INIT-EXISTS", f"{config} already exists; nothing was written"))
    metadata = {
        "title": title,
        "authors": ["Your Office or Organisation"],
        "publisher": "Your Office or Organisation",
        "date": (today or dt.date.today()).isoformat(),
        "language": "en-US",
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "slug": slugify(title),
        "description": "One or two sentences that say what this publication is about.",
        "paper": "letter",
        "bibliography": ["references.bib"],
    }
    if template == "book":
        metadata["authors"] = ["Author Name"]
        metadata["subtitle"] = "A subtitle, or delete this line"
        metadata["description"] = "One or two sentences that say what this book is about."
        metadata["rights"] = f"© {(today or dt.date.today()).year} Author Name"
        del metadata["bibliography"]
    text = "# Publication metadata; see the mxpublish README for every key.\n" + yaml.safe_dump(
        metadata, sort_keys=False, allow_unicode=True
    )
    written = [config]
    atomic_write(config, text.encode("utf-8"))
    for name, destination in TEMPLATES[template].items():
        path = directory / destination
        atomic_write(path, SCAFFOLD.joinpath(name).read_bytes())
        written.append(path)
    return written


def create_section(project_dir: Path | str, title: str, status: str = "draft") -> Path:
    """Write ``source/NN-slug.md`` numbered after the last section (keeping the width of the
    existing numbers), with ``title`` and ``status`` front matter and a line to replace.

    Refuses a title whose slug names an existing section (its id would clash).
    """
    project = find_project(project_dir)
    numbers, width, names = [], 2, set()
    for path in project.source_dir.glob("*.md"):
        match = SECTION_FILE_RE.match(path.name)
        if match:
            numbers.append(int(match.group(1)))
            width = max(width, len(match.group(1)))
            names.add(match.group(2))
    slug = slugify(title)
    if slug in names:
        raise ProjectError(
            error(
                "NEW-EXISTS",
                f"a section named {slug!r} already exists; nothing was written",
                hint="choose another title",
            )
        )
    path = project.source_dir / f"{max(numbers, default=0) + 1:0{width}d}-{slug}.md"
    front = yaml.safe_dump({"title": title, "status": status}, sort_keys=False, allow_unicode=True)
    text = f"---\n{front}---\n\nWrite this section here.\n"
    atomic_write(path, text.encode("utf-8"))
    return path
