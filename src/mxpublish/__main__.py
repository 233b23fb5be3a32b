"""Allow ``python -m mxpublish``."""

from mxpublish.cli import main

main()
