"""Effective settings: command line > ``MXPUBLISH_*`` environment > publication.yaml > defaults.

Every setting is declared once here, with its environment variable and its place in
publication.yaml, so that ``mxpublish config`` can say where each value came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mxpublish.build import BuildOptions
from mxpublish.editions import DEFAULT_PDF_VARIANT, FORMATS, PDF_VARIANTS
from mxpublish.errors import Diagnostic, ProjectError, SourceError, error
from mxpublish.project import find_project
from mxpublish.source.metadata import ConfigFile, paper_css, read_config


def _formats(value: Any) -> tuple[str, ...]:
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    items = [str(item).strip().lower() for item in items]
    unknown = [item for item in items if item not in (*FORMATS, "all")]
    if unknown or not items:
        raise ValueError(f"must be formats from {', '.join(FORMATS)}, all; not {value!r}")
    return FORMATS if "all" in items else tuple(f for f in FORMATS if f in items)


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}; not {value!r}")
        return text

    return parse


def _paper(value: Any) -> str:
    text = str(value).strip().lower()
    paper_css(text)  # raises ValueError naming the accepted forms
    return text


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be true or false; not {value!r}")


def _port(value: Any) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError(f"must be a port number from 0 (any free port) to 65535; not {value!r}")
    return port


def _text(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


@dataclass(frozen=True)
class Setting:
    """One setting: its name, ``MXPUBLISH_*`` variable, key path in publication.yaml,
    default, parser (which raises ValueError) and what it is for."""

    name: str
    yaml: tuple[str, ...]
    default: Any
    parse: Callable[[Any], Any]
    help: str

    @property
    def env(self) -> str:
        return "MXPUBLISH_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("formats", ("build", "formats"), FORMATS, _formats, "what build and watch write"),
    Setting("output", ("build", "output"), "build", _text, "output directory"),
    Setting(
        "pdf_variant", ("build", "pdf_variant"), DEFAULT_PDF_VARIANT, _choice(PDF_VARIANTS), "PDF"
    ),
    Setting("paper", ("paper",), "letter", _paper, "paper: letter, a4 or WIDTH HEIGHT"),
    Setting("strict", ("check", "strict"), False, _flag, "check fails on warnings too"),
    Setting("host", ("serve", "host"), "127.0.0.1", _text, "address serve listens on"),
    Setting("port", ("serve", "port"), 8000, _port, "port serve listens on (0: any)"),
)


@dataclass(frozen=True)
class Value:
    """A setting's effective value and where it came from."""

    name: str
    value: Any
    origin: str  # "command line", "environment MXPUBLISH_X", "publication.yaml:12", "default"


@dataclass(frozen=True)
class Settings:
    """The effective settings of one run, by name; ``output`` is resolved to a path."""

    values: Mapping[str, Value]
    project_root: Path
    config: ConfigFile  # publication.yaml as read, so a build need not read it again

    def __getitem__(self, name: str) -> Any:
        return self.values[name].value

    @property
    def output(self) -> Path:
        return Path(self["output"])

    def build_options(self, **given: Any) -> BuildOptions:
        """The options build, watch and serve run with: these settings plus the command
        line's own (``print_marks``, ``booklet``, ``jobs``, ``use_cache``)."""
        return BuildOptions(
            formats=self["formats"], pdf_variant=self["pdf_variant"], paper=self["paper"], **given
        )


def resolve(
    project_dir: Path | str,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Combine the command line (``None`` means not given), the environment and the
    project's publication.yaml. Relative output paths from the command line and the
    environment are relative to the working directory; from publication.yaml, to the project.

    Raises ProjectError for a bad command-line or environment value, SourceError (with the
    line) for a bad value in publication.yaml.
    """
    project = find_project(project_dir)
    cli = cli or {}
    env = os.environ if env is None else env
    config = read_config(project)
    data, lines, file = config.data, config.lines, config.file
    values: dict[str, Value] = {}
    problems: list[Diagnostic] = []
    for setting in SETTINGS:
        raw, origin, from_yaml = _pick(setting, cli, env, data, lines, file)
        try:
            value = setting.parse(raw) if origin != "default" else setting.default
        except ValueError as exc:
            where = origin if not from_yaml else ".".join(setting.yaml)
            problems.append(
                error(
                    "SETTING-VALUE",
                    f"{setting.name} ({where}) {exc}",
                    file if from_yaml else None,
                    lines.get(setting.yaml[0]) if from_yaml else None,
                )
            )
            continue
        if setting.name == "output":
            value = project.root / value if from_yaml or origin == "default" else Path(value)
        values[setting.name] = Value(setting.name, value, origin)
    if problems:
        kind = SourceError if any(p.file for p in problems) else ProjectError
        raise kind(problems)
    return Settings(values, project.root, config)


def _pick(
    setting: Setting,
    cli: Mapping[str, Any],
    env: Mapping[str, str],
    data: Mapping[str, Any],
    lines: Mapping[str, int],
    file: str,
) -> tuple[Any, str, bool]:
    """The raw value of ``setting`` from the strongest source that has one."""
    if cli.get(setting.name) is not None:
        return cli[setting.name], "command line", False
    if env.get(setting.env, "").strip():
        return env[setting.env], f"environment {setting.env}", False
    node: Any = data
    for key in setting.yaml:
        node = node.get(key) if isinstance(node, dict) else None
    if node is not None:
        return node, f"{file}:{lines.get(setting.yaml[0], 1)}", True
    return setting.default, "default", False
