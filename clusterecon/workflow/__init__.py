"""Workflow layer: the steps of the main job (top layer; may import everything below)."""
