"""Same bytes on every machine: two clean installs from requirements.lock, in different
folders, build the briefing's PDF and EPUB byte for byte alike, in separate processes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

#: What a wheel of mxpublish is built from (a copy, so the build leaves nothing in the repo).
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "src")


def _fresh_install(folder: Path) -> Path:
    """A new virtual environment in ``folder`` with mxpublish installed (not editable) under
    the lock's exact versions; returns its ``mxpublish`` executable."""
    package = folder / "package"
    for name in PACKAGE_FILES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, package / name, ignore=shutil.ignore_patterns("*.pyc"))
        else:
            package.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, package / name)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    lock = str(REPO / "requirements.lock")
    subprocess.run([*pip, "install", "--quiet", "-c", lock, str(package)], check=True)
    return venv / "bin" / "mxpublish"


def _build(mxpublish: Path, folder: Path) -> dict[str, str]:
    project = folder / "briefing"
    for name in ("source", "styles"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, project / name)
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PYTHONPATH")}
    out = folder / "out"
    subprocess.run(
        [str(mxpublish), "build", str(project), "-f", "pdf", "-f", "epub", "-o", str(out)],
        check=True,
        cwd=folder,
        env=env,
        capture_output=True,
    )
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


@pytest.mark.slow
def test_two_fresh_installs_build_identical_bytes(tmp_path: Path) -> None:
    digests = []
    for name in ("first-machine", "second/machine"):
        folder = tmp_path / name
        digests.append(_build(_fresh_install(folder), folder))
    assert set(digests[0]) == {"us-troops-in-mexico-2024.pdf", "us-troops-in-mexico-2024.epub"}
    assert digests[0] == digests[1]


def test_the_lock_pins_every_library_the_editions_depend_on() -> None:
    """Every runtime dependency, and the libraries WeasyPrint renders with, has one exact
    version in requirements.lock."""
    from mxpublish.dist.bundle import LIBRARIES

    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[name.lower().replace("_", "-")] = version
    assert set(LIBRARIES) <= set(pins), set(LIBRARIES) - set(pins)
