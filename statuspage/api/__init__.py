"""API of the statuspage app."""
