"""Choices of the statuspage app (values are Atlassian Statuspage's)."""

from django.db import models


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    UNDER_MAINTENANCE = "under_maintenance", "Under maintenance"


class MaintenanceStatus(models.TextChoices):
    """Statuspage's scheduled maintenance statuses (derived from the clock, ``verifying`` set by hand)."""

    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"


class Recurrence(models.TextChoices):
    """The same values as ``alerts.choices.Recurrence`` (the window that mutes alerts is an alerts one)."""

    NONE = "none", "Once"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class SubscriberKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class NotificationKind(models.TextChoices):
    CONFIRM = "confirm", "Subscription confirmation"
    INCIDENT = "incident", "Incident update"
    MAINTENANCE = "maintenance", "Maintenance"
    COMPONENT = "component", "Component status"
