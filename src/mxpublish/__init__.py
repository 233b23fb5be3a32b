"""mxpublish: structured Markdown sections in, print-ready PDF, EPUB 3 and HTML out."""

__version__ = "0.1.0"
