"""Choices of the heartbeats app."""

from django.db import models

from heartbeats.domain import schedule


class ScheduleKind(models.TextChoices):
    PERIOD = schedule.PERIOD, "Every period"
    CRON = schedule.CRON, "Cron expression"


class CheckState(models.TextChoices):
    """``new``: never pinged (never alerts); ``up``: pinged in time; ``late``: past due, inside the grace time;
    ``down``: no ping by the end of the grace time (alerting); ``failed``: the last ping was a failure (alerting);
    ``paused``: not monitored."""

    NEW = "new", "New"
    UP = "up", "Up"
    LATE = "late", "Late"
    DOWN = "down", "Down"
    FAILED = "failed", "Failed"
    PAUSED = "paused", "Paused"


class PingKind(models.TextChoices):
    SUCCESS = "success", "Success"
    START = "start", "Start"
    FAIL = "fail", "Failure"
