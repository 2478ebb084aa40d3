"""The alerts app's Prometheus metrics (exposed at /metrics with the project's own)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ALERTS_FIRING = Gauge(
    "sre_alerts_firing",
    "Firing alerts by severity label (refreshed by the alerts tick).",
    ["severity"],
    multiprocess_mode="mostrecent",
)
ALERTS_RECEIVED = Counter("sre_alerts_received_total", "Alerts received, by source.", ["source"])
NOTIFICATIONS = Counter(
    "sre_alert_notifications_total", "Notification delivery attempts, by receiver and outcome.", ["receiver", "outcome"]
)
DELIVERY_LATENCY = Histogram(
    "sre_alert_delivery_latency_seconds",
    "From an alert arriving to its notification being delivered, by receiver kind.",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTBOX_DUE = Gauge(
    "sre_alert_outbox_due",
    "Notifications whose attempt time has come and that are not yet sent (refreshed by the alerts tick).",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_DUE = Gauge(
    "sre_alert_outbox_oldest_due_seconds",
    "Seconds the oldest due, unsent notification has waited; 0 when none (refreshed by the alerts tick).",
    multiprocess_mode="mostrecent",
)
RELAY_SUBMITTED = Counter(
    "sre_alert_relay_submitted_total",
    "Notifications offered to a web worker's relay threads after commit: accepted, or full (sent to Celery).",
    ["outcome"],
)
RELAY_QUEUE = Gauge(
    "sre_alert_relay_queue",
    "Notifications waiting in the web workers' relay queues (summed over live workers).",
    multiprocess_mode="livesum",
)
INTAKE_WEBHOOKS_PER_TRANSACTION = Histogram(
    "sre_alert_intake_webhooks_per_transaction",
    "Webhooks written by one intake transaction in a web worker (alerts.combine: concurrent webhooks share one).",
    buckets=(1, 2, 3, 4, 6, 8, 16, 32),
)
