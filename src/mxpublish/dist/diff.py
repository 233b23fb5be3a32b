"""`mxpublish diff`: per section, the words added and removed since the last distributed
edition, as a short report and a readable HTML change summary.

An edition is read from a distribution bundle (its ``sections.json``, written by `dist`), the
bundle's zip, or a project (its sections loaded as a build would). Sections are matched by id;
words are compared as whitespace-separated tokens with difflib, so a moved paragraph shows as
removed in one place and added in another.
"""

from __future__ import annotations

import difflib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mxpublish.errors import UsageError, error

SECTIONS_FILE = "sections.json"


@dataclass(frozen=True)
class EditionText:
    """What the diff compares: a label (``1.0``, or the project path), the publication's
    title and language, and each section's (id, title, text), in order."""

    label: str
    title: str
    language: str
    sections: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Change:
    """One run of the new text that differs: the words removed and the words added there,
    with a few unchanged words before it for context."""

    before: tuple[str, ...]
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass(frozen=True)
class SectionDiff:
    id: str
    title: str
    status: str  # "changed", "added", "removed", "unchanged"
    changes: tuple[Change, ...]
    old_title: str | None = None

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(w for c in self.changes for w in c.added)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(w for c in self.changes for w in c.removed)


def read_edition(path: Path) -> EditionText:
    """The sections of the edition at ``path``: a bundle folder, a bundle zip or a project.
    Raises UsageError when ``path`` is none of these, or ProjectError/SourceError from loading
    a project."""
    if not path.exists():
        raise UsageError(error("DIFF-EDITION", "no such file or folder", str(path)))
    if path.is_file() and path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == SECTIONS_FILE]
            if not names:
                raise UsageError(error("DIFF-EDITION", f"no {SECTIONS_FILE} in the zip", str(path)))
            return _from_json(json.loads(archive.read(min(names, key=len))), path)
    if (path / SECTIONS_FILE).is_file():
        return _from_json(json.loads((path / SECTIONS_FILE).read_text(encoding="utf-8")), path)
    if (path / "source" / "publication.yaml").is_file():
        from mxpublish.build import load

        _, publication = load(path)
        meta = publication.metadata
        sections = tuple((s.id, s.title, s.text) for s in publication.sections)
        return EditionText(meta.version or str(path), meta.title, meta.language, sections)
    raise UsageError(
        error(
            "DIFF-EDITION",
            "not a distribution bundle (no sections.json) nor a project (no "
            "source/publication.yaml)",
            str(path),
        )
    )


def read_git_edition(revision: str, project: Path) -> EditionText:
    """The project at ``project`` as it was at git ``revision`` (``git archive`` of its
    ``source/``, ``styles/`` and ``templates/`` into a temporary folder, then loaded).
    Raises UsageError when git fails (not a repository, unknown revision)."""
    import subprocess
    import tarfile
    import tempfile

    def git(*args: str) -> bytes:
        try:
            return subprocess.run(
                ["git", "-C", str(project), *args], check=True, capture_output=True
            ).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            reason = getattr(exc, "stderr", b"").decode(errors="replace").strip() or str(exc)
            raise UsageError(error("DIFF-GIT", f"git {args[0]} failed: {reason}")) from exc

    prefix = git("rev-parse", "--show-prefix").decode().strip()
    names = [n for n in ("source", "styles", "templates") if (project / n).exists()]
    tar = git("archive", "--format=tar", revision, "--", *names)
    with tempfile.TemporaryDirectory(prefix="mxpublish-diff-") as folder:
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(folder, filter="data")
        # git archive run in a subdirectory archives that subdirectory (older git: its path
        # from the top); take whichever holds the project
        root = Path(folder)
        if not (root / "source").exists() and (root / prefix / "source").exists():
            root = root / prefix
        edition = read_edition(root)
    return EditionText(revision, edition.title, edition.language, edition.sections)


def _from_json(data: Any, path: Path) -> EditionText:
    try:
        sections = tuple((s["id"], s["title"], s["text"]) for s in data["sections"])
        label = str(data.get("version") or path.name)
        return EditionText(label, str(data["title"]), str(data["language"]), sections)
    except (KeyError, TypeError) as exc:
        raise UsageError(error("DIFF-EDITION", f"{SECTIONS_FILE} is malformed", str(path))) from exc


#: Unchanged words shown before each change.
CONTEXT_WORDS = 6


def word_changes(old: str, new: str) -> tuple[Change, ...]:
    """The runs of words that differ between ``old`` and ``new`` texts."""
    a, b = old.split(), new.split()
    changes = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = tuple(b[max(0, j1 - CONTEXT_WORDS) : j1])
        changes.append(Change(before, tuple(a[i1:i2]), tuple(b[j1:j2])))
    return tuple(changes)


def diff_editions(old: EditionText, new: EditionText) -> tuple[SectionDiff, ...]:
    """Per section of the new edition (in its order, then sections it dropped), what changed."""
    previous = {sid: (title, text) for sid, title, text in old.sections}
    result = []
    for sid, title, text in new.sections:
        if sid not in previous:
            result.append(SectionDiff(sid, title, "added", word_changes("", text)))
            continue
        old_title, old_text = previous[sid]
        changes = word_changes(old_text, text)
        status = "changed" if changes or old_title != title else "unchanged"
        renamed = old_title if old_title != title else None
        result.append(SectionDiff(sid, title, status, changes, renamed))
    current = {sid for sid, _, _ in new.sections}
    for sid, title, text in old.sections:
        if sid not in current:
            result.append(SectionDiff(sid, title, "removed", word_changes(text, "")))
    return tuple(result)


def summary_lines(diffs: tuple[SectionDiff, ...]) -> list[str]:
    """One line per section: ``changed  +12 -3  Title``."""
    return [
        f"{d.status:<9} +{len(d.added)} -{len(d.removed)}  {d.title}"
        + (f" (was “{d.old_title}”)" if d.old_title else "")
        for d in diffs
    ]


_PAGE = """<!DOCTYPE html>
<html lang="{{ language }}">
<head><meta charset="utf-8"/><title>Changes: {{ title }}</title>
<style>
body { font-family: "Source Serif Pro", Georgia, serif; max-width: 42em; margin: 2em auto;
  padding: 0 1em; line-height: 1.5; color: #1a1a1a; }
h1, h2 { font-family: "Source Sans Pro", Helvetica, sans-serif; color: #1f3a5f; }
del { background: #fbe3e3; color: #8a1c1c; }
ins { background: #e1f3e4; color: #14532d; text-decoration: none; }
.context { color: #555; }
.status { font-family: "Source Sans Pro", sans-serif; font-size: 0.85em; color: #555; }
</style></head>
<body>
<h1>Changes in {{ title }}</h1>
<p>From edition {{ old }} to edition {{ new }}: {{ changed }} of {{ diffs | length }} sections
changed, {{ added }} words added, {{ removed }} removed.</p>
{%- for d in diffs %}
<section>
<h2>{{ d.title }}</h2>
<p class="status">{{ d.status }}{% if d.old_title %}; formerly “{{ d.old_title }}”{% endif %}:
{{ d.added | length }} words added, {{ d.removed | length }} removed.</p>
{%- for c in d.changes %}
<p>{% if c.before %}<span class="context">…{{ c.before | join(" ") }}</span> {% endif -%}
{% if c.removed %}<del>{{ c.removed | join(" ") }}</del>{% endif %}
{%- if c.removed and c.added %} {% endif -%}
{% if c.added %}<ins>{{ c.added | join(" ") }}</ins>{% endif %}</p>
{%- endfor %}
</section>
{%- endfor %}
</body>
</html>
"""


def changes_html(diffs: tuple[SectionDiff, ...], old: EditionText, new: EditionText) -> str:
    """The change summary as a standalone HTML page (removed words struck, added underlined)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_PAGE).render(
        diffs=[d for d in diffs if d.status != "unchanged"] or list(diffs),
        title=new.title,
        language=new.language,
        old=old.label,
        new=new.label,
        changed=sum(d.status != "unchanged" for d in diffs),
        added=sum(len(d.added) for d in diffs),
        removed=sum(len(d.removed) for d in diffs),
    )
