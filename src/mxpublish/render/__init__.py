"""Renderers: each turns the model plus assembled HTML into one output format."""
