"""Stage 1: project files → the validated publication model (metadata, sections, assets)."""
