"""Stage 2: the model → HTML documents (Jinja2), with fonts, stylesheets and page-break markers."""
