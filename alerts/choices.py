"""Choices of the alerts app."""

from django.db import models


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class GroupState(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SILENCED = "silenced", "Silenced"
    RESOLVED = "resolved", "Resolved"


class ReceiverKind(models.TextChoices):
    LEDGER = "ledger", "Ledger only (record, send nothing)"
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    WEBHOOK = "webhook", "Webhook (signed JSON)"
    EMAIL = "email", "Email"


class NotificationEvent(models.TextChoices):
    TRIGGER = "trigger", "Trigger"
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    TEST = "test", "Test"


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class AttemptOutcome(models.TextChoices):
    IN_FLIGHT = "in_flight", "In flight"
    SUCCESS = "success", "Success"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed permanently"
    LOST = "lost", "Worker died mid-attempt"


class GroupEventKind(models.TextChoices):
    CREATED = "created", "Group created"
    ALERT_JOINED = "alert_joined", "Alert joined"
    ALERT_RESOLVED = "alert_resolved", "Alert resolved"
    ALERT_REFIRED = "alert_refired", "Alert firing again"
    NOTIFIED = "notified", "Notification queued"
    DELIVERED = "delivered", "Notification delivered"
    DELIVERY_FAILED = "delivery_failed", "Notification failed"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    UNACKNOWLEDGED = "unacknowledged", "Unacknowledged"
    SILENCED = "silenced", "Silenced"
    UNSILENCED = "unsilenced", "No longer silenced"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Firing again"
    ESCALATION = "escalation", "Escalation step"
    PAGED = "paged", "Person notified"
    PAGE_FAILED = "page_failed", "Person could not be notified"


class Recurrence(models.TextChoices):
    NONE = "none", "Once"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
