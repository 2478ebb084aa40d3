"""Models of the incidents app: incidents with their timeline, roles, status updates and component impact,
postmortems with action items, severity levels and the auto-open policies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.choices import (
    OPEN_STATUSES,
    ActionItemPriority,
    ActionItemStatus,
    IncidentSource,
    IncidentStatus,
    PostmortemState,
    PublicImpact,
    Severity,
    TimelineKind,
    UpdateVisibility,
)
from statuspage.choices import ComponentStatus


class SeverityLevel(models.Model):
    """Label and description shown for one of the fixed severity keys (sev1…sev4); admins edit these.
    ``public_impact`` is the Statuspage impact an incident of this severity shows publicly."""

    key = models.CharField(max_length=10, choices=Severity.choices)
    label = models.CharField(max_length=50)
    description = models.TextField(blank=True)
    public_impact = models.CharField(max_length=10, choices=PublicImpact.choices, default=PublicImpact.MINOR)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["key"], name="incidents_severity_key_unique")]

    def __str__(self) -> str:
        return self.label


class Incident(models.Model):
    """An incident. Every change goes through ``incidents.services``; ``version`` increases with each change
    so a stale edit is refused (optimistic locking) instead of overwriting someone else's.

    ``public_title`` is the only title the status page, its JSON and feeds show; an incident gets no public
    update until it has one (``incidents.services.status_update_post`` refuses).

    ``dedup_key`` is set when a policy opens the incident: at most one *open* incident per key (a partial
    unique constraint), so a second burn alert links to it instead of opening another."""

    title = models.CharField(max_length=200)
    public_title = models.CharField(
        max_length=200,
        blank=True,
        help_text="What customers see on the status page (never the internal title); required before the "
        "first public update.",
    )
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.SEV3)
    status = models.CharField(max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.TRIAGE)
    source = models.CharField(max_length=20, choices=IncidentSource.choices, default=IncidentSource.MANUAL)
    dedup_key = models.CharField(max_length=200, blank=True)
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    services = models.ManyToManyField("slo.Service", blank=True, related_name="incidents")
    alert_groups = models.ManyToManyField(
        "alerts.AlertGroup", through="IncidentAlertGroup", blank=True, related_name="incidents"
    )
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=list(OPEN_STATUSES)) & ~Q(dedup_key=""),
                name="incidents_open_dedup_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "started_at"], name="incidents_status_started_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IncidentAlertGroup(models.Model):
    """An alert group linked to an incident; the group's own timeline shows on the incident's."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alert_links")
    group = models.ForeignKey("alerts.AlertGroup", on_delete=models.CASCADE, related_name="incident_links")
    linked_at = models.DateTimeField()
    linked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "group"], name="incidents_alert_link_unique"),
        ]

    def __str__(self) -> str:
        return f"incident {self.incident_id} ↔ group {self.group_id}"


class IncidentComponent(models.Model):
    """A status-page component affected by the incident, with its current impact (Statuspage's values)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="component_impacts")
    component = models.ForeignKey("statuspage.Component", on_delete=models.CASCADE, related_name="incident_impacts")
    status = models.CharField(max_length=30, choices=ComponentStatus.choices, default=ComponentStatus.PARTIAL_OUTAGE)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["component__name"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "component"], name="incidents_component_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.status}"


class TimelineEntry(models.Model):
    """One entry of the incident's own timeline (alert group events are read from the alerts app).
    Notes are Markdown, rendered sanitised. ``data`` holds structured details (old/new values of an edit)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    actor = models.CharField(max_length=150, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["incident", "at"], name="incidents_timeline_at_idx")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%H:%M:%S}"


class StatusUpdate(models.Model):
    """An update posted to responders (internal) or customers (public). A public update carries the
    Statuspage status and a snapshot of the affected components' statuses at that moment, which the
    status page renders as the incident's update."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    visibility = models.CharField(max_length=10, choices=UpdateVisibility.choices, default=UpdateVisibility.INTERNAL)
    status = models.CharField(max_length=20, choices=IncidentStatus.choices)
    public_status = models.CharField(max_length=20, blank=True)
    body = models.TextField()
    components = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["visibility", "created_at"], name="incidents_update_vis_idx")]

    def __str__(self) -> str:
        return f"{self.visibility} update on {self.incident_id}"


class Postmortem(models.Model):
    """The incident's postmortem: Markdown body (sanitised when rendered), review state, who published."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    state = models.CharField(max_length=20, choices=PostmortemState.choices, default=PostmortemState.DRAFT)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.CharField(max_length=150, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"postmortem of {self.incident_id}"


class ActionItem(models.Model):
    """A follow-up from an incident (usually from its postmortem). Overdue = past ``due_date`` and open."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=5, choices=ActionItemPriority.choices, default=ActionItemPriority.P2)
    status = models.CharField(max_length=20, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN)
    link = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "priority", "pk"]
        indexes = [models.Index(fields=["status", "due_date"], name="incidents_action_due_idx")]

    def __str__(self) -> str:
        return self.title


class IncidentPolicy(models.Model):
    """Opens an incident automatically when an alert group matching ``matchers`` fires, for a service of
    at most ``max_service_tier`` (the group's ``service`` label; ``None`` = any or no service). One open
    incident per (policy, service): later groups are linked to it."""

    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    matchers = models.JSONField(default=list, help_text='Alert label matchers, e.g. ["severity=page", "slo=~.+"]')
    max_service_tier = models.PositiveSmallIntegerField(null=True, blank=True, default=1)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.SEV2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["name"], name="incidents_policy_name_unique")]
        verbose_name_plural = "incident policies"

    def __str__(self) -> str:
        return self.name
