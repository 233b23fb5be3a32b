"""The author's tools around the pipeline: settings, terminal output, watch, serve, scaffolding."""
