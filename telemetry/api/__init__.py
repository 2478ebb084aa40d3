"""API of the telemetry app."""
