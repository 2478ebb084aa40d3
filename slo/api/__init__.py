"""API of the slo app."""
