"""Command line: Click commands that call the core and turn its errors into exit codes.

``app`` holds the group and the shared options; importing the command modules registers
their commands on it. Each command imports its implementation when it runs, so ``--help``
starts without loading WeasyPrint.
"""

from mxpublish.cli import author, publish, release  # noqa: F401  (registers the commands)
from mxpublish.cli.app import main

__all__ = ["main"]
