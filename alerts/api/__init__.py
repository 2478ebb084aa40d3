"""API of the alerts app."""
