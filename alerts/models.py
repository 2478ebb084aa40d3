"""Models of the alerts app: alerts and their groups, the routing configuration, silences, maintenance
windows, receivers, and the notification outbox with its ledger of attempts."""

from __future__ import annotations

import uuid

from django.db import models

from alerts.choices import (
    AlertStatus,
    AttemptOutcome,
    GroupEventKind,
    GroupState,
    NotificationEvent,
    NotificationState,
    ReceiverKind,
    Recurrence,
)
from sre.crypto import EncryptedTextField


class Receiver(models.Model):
    """Where notifications go. Secrets (PagerDuty routing key, webhook signing secret) are encrypted at rest
    and never returned by the API. ``routing_key_digest`` (HMAC of the key) groups receivers that share a
    PagerDuty routing key for the per-key rate limit. Breaker fields belong to the per-receiver circuit
    breaker and are written only by the delivery service."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ReceiverKind.choices, default=ReceiverKind.LEDGER)
    url = models.URLField(max_length=500, blank=True, help_text="Webhook URL, or PagerDuty base URL.")
    routing_key = EncryptedTextField(blank=True)
    routing_key_digest = models.CharField(max_length=64, blank=True, db_index=True)
    secret = EncryptedTextField(blank=True)
    email_to = models.TextField(blank=True, help_text="Comma-separated addresses.")
    send_resolved = models.BooleanField(default=True)
    timeout_seconds = models.FloatField(default=10.0)
    breaker_failures = models.PositiveIntegerField(default=0)
    breaker_open_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="alerts_receiver_name_unique")]

    def __str__(self) -> str:
        return self.name


class TimeInterval(models.Model):
    """A named Alertmanager time interval: ``entries`` is its list of {times, weekdays, …, location}."""

    name = models.CharField(max_length=100)
    entries = models.JSONField(default=list)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="alerts_timeinterval_name_unique")]

    def __str__(self) -> str:
        return self.name


class Route(models.Model):
    """A node of the routing tree. ``None`` fields inherit from the parent; the root (no parent) has a
    receiver and matches everything. Children are tried in ``position`` order."""

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    matchers = models.JSONField(default=list, blank=True, help_text='e.g. ["severity=critical", "team=~db|ops"]')
    receiver = models.ForeignKey(Receiver, null=True, blank=True, on_delete=models.PROTECT, related_name="routes")
    continue_matching = models.BooleanField(default=False)
    group_by = models.JSONField(null=True, blank=True)
    group_wait = models.PositiveIntegerField(null=True, blank=True)
    group_interval = models.PositiveIntegerField(null=True, blank=True)
    repeat_interval = models.PositiveIntegerField(null=True, blank=True)
    mute_time_intervals = models.JSONField(default=list, blank=True)
    active_time_intervals = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["parent_id", "position", "pk"]

    def __str__(self) -> str:
        return self.name or ("root" if self.parent_id is None else f"route {self.pk}")


class InhibitRule(models.Model):
    """Alertmanager inhibition: a firing source alert mutes matching targets with equal ``equal`` labels."""

    source_matchers = models.JSONField(default=list)
    target_matchers = models.JSONField(default=list)
    equal = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"inhibit {self.target_matchers} when {self.source_matchers}"


class Silence(models.Model):
    """Alertmanager-shaped silence. State is derived from time (pending/active/expired); expiring sets
    ``ends_at`` to now."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    matchers = models.JSONField(default=list)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    comment = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["ends_at"], name="alerts_silence_ends_idx")]

    def __str__(self) -> str:
        return f"silence {self.id}"


class MaintenanceWindow(models.Model):
    """A (possibly recurring) window during which matching alerts and the chosen routes are muted.

    General on purpose so the status page can reuse it: name, first ``starts_at``/``ends_at``, a
    ``recurrence`` repeating that span until ``recurrence_until``, and either ``matchers`` or ``routes``."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    recurrence = models.CharField(max_length=10, choices=Recurrence.choices, default=Recurrence.NONE)
    recurrence_until = models.DateTimeField(null=True, blank=True)
    matchers = models.JSONField(default=list, blank=True)
    routes = models.ManyToManyField(Route, blank=True, related_name="maintenance_windows")
    exclude_from_slo = models.BooleanField(
        default=False, help_text="Leave the window's time out of SLO budgets (the SLO maths honours it)."
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.name


class AlertGroup(models.Model):
    """Alerts that share a route and the values of its ``group_by`` labels (``group_key``).

    ``timing`` and ``receiver`` are frozen when the group is created, so editing the tree does not change a
    running notification cycle; so is ``traceparent`` (the opening intake's trace, when tracing is on).
    ``last_notified_hash`` is the hash of the firing fingerprints last sent: an unchanged set is not sent again
    before ``repeat_interval``."""

    group_key = models.CharField(max_length=64)
    route = models.ForeignKey(Route, null=True, on_delete=models.SET_NULL, related_name="groups")
    receiver = models.ForeignKey(Receiver, null=True, on_delete=models.SET_NULL, related_name="groups")
    group_labels = models.JSONField(default=dict)
    timing = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=GroupState.choices, default=GroupState.FIRING)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    next_flush_at = models.DateTimeField(null=True, blank=True)
    last_flush_at = models.DateTimeField(null=True, blank=True)
    last_notified_hash = models.CharField(max_length=64, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    # W3C traceparent of the intake that opened the group (empty unless tracing is on): the first flush, run later
    # by the tick when group_wait > 0, continues that trace, so one trace runs from intake to delivery.
    traceparent = models.CharField(max_length=55, blank=True, default="", db_default="")
    alerts = models.ManyToManyField("Alert", related_name="groups", blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["group_key"], name="alerts_group_key_unique")]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="alerts_group_state_idx"),
            models.Index(fields=["next_flush_at"], name="alerts_group_flush_idx"),
        ]

    def __str__(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in self.group_labels.items())
        return labels or f"group {self.pk}"

    @property
    def dedup_key(self) -> str:
        """Stable per group: every trigger, ack and resolve for it reaches the same PagerDuty incident."""
        return f"sre-{self.group_key}"


class Alert(models.Model):
    """One alert identified by the fingerprint of its label set. Repeated firings update it.

    ``silenced_by``/``inhibited``/``muted`` are recomputed at each group flush (what the UI shows)."""

    fingerprint = models.CharField(max_length=64)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.FIRING)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    generator_url = models.URLField(max_length=2000, blank=True)
    source = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    receive_count = models.PositiveIntegerField(default=1)
    resolved_by = models.CharField(max_length=150, blank=True)
    silenced_by = models.JSONField(default=list, blank=True)
    inhibited = models.BooleanField(default=False)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["fingerprint"], name="alerts_alert_fingerprint_unique")]
        indexes = [models.Index(fields=["status", "updated_at"], name="alerts_alert_status_idx")]

    def __str__(self) -> str:
        return self.labels.get("alertname") or self.fingerprint


class GroupEvent(models.Model):
    """The group's timeline: what happened and who did it."""

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=GroupEventKind.choices)
    actor = models.CharField(max_length=150, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%H:%M:%S}"


class Notification(models.Model):
    """The transactional outbox: one state change to deliver to one receiver, written in the same
    transaction as the change. Delivered in ``sequence`` order per (receiver, dedup_key)."""

    receiver = models.ForeignKey(Receiver, on_delete=models.CASCADE, related_name="notifications")
    group = models.ForeignKey(AlertGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=20, choices=NotificationEvent.choices)
    dedup_key = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    payload_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=NotificationState.choices, default=NotificationState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    ingested_at = models.DateTimeField(null=True, blank=True, help_text="When the triggering alert arrived.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="alerts_notif_due_idx"),
            models.Index(fields=["receiver", "dedup_key", "state"], name="alerts_notif_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.receiver_id} ({self.state})"


class DeliveryAttempt(models.Model):
    """The ledger: every attempt to deliver a notification, written before the request leaves (in flight)
    and completed after, so a worker killed mid-request leaves a visible ``in_flight`` row."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="delivery_attempts")
    receiver = models.ForeignKey(Receiver, on_delete=models.CASCADE, related_name="delivery_attempts")
    group = models.ForeignKey(AlertGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    event = models.CharField(max_length=20, choices=NotificationEvent.choices)
    dedup_key = models.CharField(max_length=100)
    payload_hash = models.CharField(max_length=64)
    routing_key_digest = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices, default=AttemptOutcome.IN_FLIGHT)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    latency_ms = models.FloatField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    requested_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["routing_key_digest", "started_at"], name="alerts_attempt_rk_idx"),
            models.Index(fields=["outcome", "started_at"], name="alerts_attempt_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.notification_id}: {self.outcome}"


class ConfigVersion(models.Model):
    """One row whose ``version`` changes (to a fresh random value) whenever the routing tree, receivers,
    inhibition rules, time intervals, silences or maintenance windows change (``alerts.signals``).

    Intake reads it once per batch and reuses its in-process copy of that configuration while it is unchanged.
    A random value, not a counter, so a rolled-back change can never make a stale copy look current."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    version = models.CharField(max_length=32)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="alerts_configversion_single_row")]

    def __str__(self) -> str:
        return self.version
