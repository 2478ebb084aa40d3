"""Choices of the incidents app."""

from django.db import models


class Severity(models.TextChoices):
    """Keys are fixed; labels and descriptions shown to people live in ``SeverityLevel`` (configurable)."""

    SEV1 = "sev1", "SEV1"
    SEV2 = "sev2", "SEV2"
    SEV3 = "sev3", "SEV3"
    SEV4 = "sev4", "SEV4"


class IncidentStatus(models.TextChoices):
    TRIAGE = "triage", "Triage"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    IncidentStatus.TRIAGE,
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)


class IncidentSource(models.TextChoices):
    MANUAL = "manual", "Declared by hand"
    ALERT_GROUP = "alert_group", "From an alert group"
    POLICY = "policy", "Opened by a policy"


class IncidentRole(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    COMMUNICATIONS = "communications_lead", "Communications lead"
    SCRIBE = "scribe", "Scribe"


class TimelineKind(models.TextChoices):
    """Kinds of timeline entries. The ``alert_*``, ``acknowledge`` and ``notification`` kinds also come from
    the linked alert groups' own timelines (read, not copied)."""

    CREATED = "created", "Incident declared"
    ALERT_FIRED = "alert_fired", "Alert fired"
    ALERT_RESOLVED = "alert_resolved", "Alert resolved"
    ALERT_LINKED = "alert_linked", "Alert group linked"
    ALERT_OTHER = "alert_other", "Alert group change"
    ACKNOWLEDGE = "acknowledge", "Acknowledged"
    STATUS = "status", "Status change"
    SEVERITY = "severity", "Severity change"
    ROLE = "role", "Role change"
    UPDATE = "update", "Status update posted"
    NOTIFICATION = "notification", "Notification sent"
    NOTE = "note", "Note"
    EDIT = "edit", "Edit"
    POSTMORTEM = "postmortem", "Postmortem"


class UpdateVisibility(models.TextChoices):
    INTERNAL = "internal", "Internal"
    PUBLIC = "public", "Public (status page)"


class PublicStatus(models.TextChoices):
    """Atlassian Statuspage's incident statuses (what the public page shows)."""

    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    POSTMORTEM = "postmortem", "Postmortem"


class PublicImpact(models.TextChoices):
    """Statuspage's incident ``impact``."""

    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class PostmortemState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


ACTION_ITEM_CLOSED = (ActionItemStatus.DONE, ActionItemStatus.WONT_DO)


class ActionItemPriority(models.TextChoices):
    P1 = "p1", "P1 (urgent)"
    P2 = "p2", "P2"
    P3 = "p3", "P3"
