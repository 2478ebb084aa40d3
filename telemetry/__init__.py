"""Metric series and per-minute rollups; log ingestion and search."""
