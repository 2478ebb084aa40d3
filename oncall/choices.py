"""Choices of the oncall app."""

from django.db import models


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS (Twilio)"
    VOICE = "voice", "Voice call (Twilio)"
    CHAT = "chat", "Chat or push (Apprise URL)"
    WEBHOOK = "webhook", "Signed webhook"


class RuleKind(models.TextChoices):
    NOTIFY = "notify", "Notify by"
    WAIT = "wait", "Wait"


class Rotation(models.TextChoices):
    HOURS = "hours", "Hours"
    DAYS = "days", "Days"
    WEEKS = "weeks", "Weeks"


class SwapState(models.TextChoices):
    OFFERED = "offered", "Offered"
    TAKEN = "taken", "Taken"
    CANCELLED = "cancelled", "Cancelled"


class StepKind(models.TextChoices):
    NOTIFY_PERSONS = "notify_persons", "Notify persons"
    NOTIFY_SCHEDULE = "notify_schedule", "Notify whoever is on call on a schedule"
    NOTIFY_TEAM = "notify_team", "Notify a team"
    WAIT = "wait", "Wait"
    TIME_WINDOW = "time_window", "Continue only inside a time window"
    WEBHOOK = "webhook", "Trigger a webhook"
    REPEAT = "repeat", "Repeat from the first step"
    POLICY = "policy", "Continue with another policy"


class EscalationState(models.TextChoices):
    ACTIVE = "active", "Escalating"
    ACKNOWLEDGED = "acknowledged", "Stopped: acknowledged"
    RESOLVED = "resolved", "Stopped: resolved"
    SILENCED = "silenced", "Stopped: silenced"
    EXHAUSTED = "exhausted", "Finished: no steps left"
    CANCELLED = "cancelled", "Cancelled"


class PageState(models.TextChoices):
    ACTIVE = "active", "Notifying"
    DONE = "done", "All rules run"
    STOPPED = "stopped", "Stopped"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class LinkAction(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    ESCALATE = "escalate", "Escalate now"
    SILENCE = "silence_1h", "Silence for 1 hour"
