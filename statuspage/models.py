"""Models of the statuspage app: components and groups, scheduled maintenance, subscribers and the
subscriber notification ledger.

A component's public status is *derived* (open incidents' impact, active maintenance, opt-in SLO burn, a
responder's override) by ``statuspage.domain.status``; ``status``/``status_changed_at`` cache the last
derived value, written only by ``statuspage.services.component_statuses_refresh``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from sre.crypto import EncryptedTextField
from statuspage.choices import (
    ComponentStatus,
    MaintenanceStatus,
    NotificationKind,
    NotificationState,
    Recurrence,
    SubscriberKind,
)


class ComponentGroup(models.Model):
    """A collapsible group of components on the public page."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="statuspage_componentgroup_name_unique")]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    """Something customers see on the status page, linked to the services and SLOs behind it.

    ``override_status`` is a responder's hand-set status; it wins over the derived one until cleared, or,
    when ``override_incident`` is set, until that incident resolves (then it is ignored and cleared)."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    position = models.PositiveIntegerField(default=0)
    only_show_if_degraded = models.BooleanField(default=False)
    services = models.ManyToManyField("slo.Service", blank=True, related_name="components")
    slos = models.ManyToManyField("slo.SLO", blank=True, related_name="components")
    status_from_slo_burn = models.BooleanField(
        default=False, help_text="Also derive the status from the linked SLOs' firing burn-rate alerts."
    )
    override_status = models.CharField(max_length=30, choices=ComponentStatus.choices, blank=True)
    override_reason = models.CharField(max_length=300, blank=True)
    override_incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_by = models.CharField(max_length=150, blank=True)
    override_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=30, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group__position", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="statuspage_component_name_unique")]

    def __str__(self) -> str:
        return self.name


class ScheduledMaintenance(models.Model):
    """Planned work on some components: one-off or recurring (``recurrence`` repeats the first
    ``starts_at``–``ends_at`` span until ``recurrence_until``).

    It owns an ``alerts.MaintenanceWindow`` (``alert_window``, kept in step by
    ``statuspage.services.maintenance_save``) that mutes matching alert routes during each occurrence
    and, with ``exclude_from_slo``, leaves that time out of SLO budgets. ``cancelled_at`` or
    ``completed_at`` end it early; ``verifying`` shows Statuspage's "verifying" while in progress."""

    name = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown shown to customers.")
    components = models.ManyToManyField(Component, blank=True, related_name="maintenances")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    recurrence = models.CharField(max_length=10, choices=Recurrence.choices, default=Recurrence.NONE)
    recurrence_until = models.DateTimeField(null=True, blank=True)
    set_component_status = models.BooleanField(
        default=True, help_text="Show the components as under maintenance while it is in progress."
    )
    mute_alerts = models.BooleanField(default=True, help_text="Mute alerts of the components' services.")
    extra_matchers = models.JSONField(default=list, blank=True, help_text='More alert matchers, e.g. ["env=prod"].')
    exclude_from_slo = models.BooleanField(default=False, help_text="Leave the window out of SLO budgets.")
    notify_subscribers = models.BooleanField(default=True)
    verifying = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    alert_window = models.OneToOneField(
        "alerts.MaintenanceWindow", null=True, blank=True, on_delete=models.SET_NULL, related_name="status_maintenance"
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="statuspage_maint_span"),
        ]
        indexes = [models.Index(fields=["ends_at"], name="statuspage_maint_end_idx")]

    def __str__(self) -> str:
        return self.name


class MaintenanceEvent(models.Model):
    """The start or end of one occurrence, recorded once (the unique constraint makes the transition
    task idempotent): component statuses change and subscribers are told when a row is created."""

    maintenance = models.ForeignKey(ScheduledMaintenance, on_delete=models.CASCADE, related_name="events")
    occurrence_start = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=[("start", "Started"), ("end", "Ended")])
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["maintenance", "occurrence_start", "kind"], name="statuspage_maint_event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.maintenance_id} {self.kind} @ {self.occurrence_start:%Y-%m-%d %H:%M}"


class Subscriber(models.Model):
    """Someone told about incidents and maintenance. Email subscribers confirm first (double opt-in:
    ``confirmed_at``); webhook URLs are stored encrypted (they often carry a token) with a digest for
    uniqueness. No components = all of them. ``allow_private`` (admins only) lets a webhook reach a
    loopback/private address."""

    kind = models.CharField(max_length=10, choices=SubscriberKind.choices)
    email = models.EmailField(blank=True)
    url = EncryptedTextField(blank=True)
    url_digest = models.CharField(max_length=64, blank=True)
    url_display = models.CharField(max_length=200, blank=True, help_text="Scheme and host only.")
    components = models.ManyToManyField(Component, blank=True, related_name="subscribers")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    allow_private = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True, help_text="Empty when subscribed on the public page.")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=Q(kind="email"), name="statuspage_subscriber_email_unique"
            ),
            models.UniqueConstraint(
                fields=["url_digest"], condition=Q(kind="webhook"), name="statuspage_subscriber_url_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.email if self.kind == SubscriberKind.EMAIL else self.url_display


class SubscriberNotification(models.Model):
    """The subscriber notification ledger: one message for one subscriber about one event
    (``event_key`` unique per subscriber, so an event is never sent twice), with its delivery state.
    ``payload`` is what is sent (mail subject/text, or the webhook JSON), frozen when it is queued."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    event_key = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "event_key"], name="statuspage_notification_unique")
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="statuspage_notif_state_idx")]

    def __str__(self) -> str:
        return f"{self.event_key} → {self.subscriber_id} ({self.state})"


class AnnouncedUpdate(models.Model):
    """A public incident update (or resolution) already fanned out to subscribers; the cursor that makes
    the fan-out idempotent without touching the incidents app."""

    update_id = models.BigIntegerField()
    incident_id = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["update_id"], name="statuspage_announced_update_unique")]

    def __str__(self) -> str:
        return f"update {self.update_id}"


class PublishedSnapshot(models.Model):
    """The latest rendered public snapshot, from which every web node copies the files into its own ``var/``
    (``statuspage.replica``): no shared volume needed. One row (pk 1), written only by
    ``statuspage.services.publish.snapshot_publish``, and replaced only by a later render (``rendered_at``), so
    a slow render finishing late never hides a newer one. ``files`` is zlib-compressed JSON of path to base64."""

    ROW = 1  # the one row's primary key

    rendered_at = models.DateTimeField()
    digest = models.CharField(max_length=64)
    files = models.BinaryField()

    def __str__(self) -> str:
        return f"snapshot {self.digest[:12]} rendered {self.rendered_at:%Y-%m-%d %H:%M:%S}"


__all__ = [
    "AnnouncedUpdate",
    "Component",
    "ComponentGroup",
    "ComponentStatus",
    "MaintenanceEvent",
    "MaintenanceStatus",
    "PublishedSnapshot",
    "ScheduledMaintenance",
    "Subscriber",
    "SubscriberNotification",
]
