"""API of the drills app."""
