"""``mxpublish init``: a new project from the theme's scaffold that builds as it is."""

from __future__ import annotations

import datetime as dt
import uuid
from importlib import resources
from pathlib import Path

import yaml

from mxpublish.config import slugify
from mxpublish.errors import ProjectError, error
from mxpublish.project import atomic_write

SCAFFOLD = resources.files("mxpublish").joinpath("theme", "scaffold")
#: scaffold file → where it goes in the new project (dotfiles are stored without the dot).
FILES = {
    "source/01-introduction.md": "source/01-introduction.md",
    "source/02-background.md": "source/02-background.md",
    "styles/custom.css": "styles/custom.css",
    "gitignore": ".gitignore",
}


def create_project(directory: Path, title: str, today: dt.date | None = None) -> list[Path]:
    """Write publication.yaml (fresh identifier, given title) and example sections.

    Refuses a directory that already holds a project, so nothing is overwritten.
    """
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
    }
    text = "# Publication metadata; see the mxpublish README for every key.\n" + yaml.safe_dump(
        metadata, sort_keys=False, allow_unicode=True
    )
    written = [config]
    atomic_write(config, text.encode("utf-8"))
    for name, destination in FILES.items():
        path = directory / destination
        atomic_write(path, SCAFFOLD.joinpath(name).read_bytes())
        written.append(path)
    return written
