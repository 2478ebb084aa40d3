"""Prometheus metrics of the status page (exposed at /metrics with the others)."""

from prometheus_client import Counter, Gauge

SNAPSHOT_RENDERS = Counter("sre_statuspage_snapshot_renders_total", "Status page snapshot renders.")
SNAPSHOT_UPDATED = Gauge(
    "sre_statuspage_snapshot_updated_timestamp_seconds",
    "When the status page snapshot was last rendered.",
    multiprocess_mode="max",
)
SNAPSHOT_SERVED = Counter(
    "sre_statuspage_snapshot_served_total", "Public status page responses served from the snapshot.", ["path_kind"]
)
SUBSCRIBER_NOTIFICATIONS = Counter(
    "sre_statuspage_notifications_total", "Subscriber notifications by final state.", ["kind", "state"]
)
