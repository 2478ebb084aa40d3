"""The telemetry app's own Prometheus metrics (exposed at /metrics with the rest)."""

from prometheus_client import Counter

INGESTED = Counter("sre_telemetry_ingested_total", "Samples or log lines stored, by kind.", ["kind"])
REJECTED = Counter("sre_telemetry_rejected_total", "Samples or log lines refused inside accepted batches.", ["kind"])
DUPLICATE_BATCHES = Counter("sre_telemetry_duplicate_batches_total", "Batches answered from their batch_id.", ["kind"])
