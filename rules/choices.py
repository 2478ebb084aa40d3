"""Choices of the rules app."""

from django.db import models


class RuleKind(models.TextChoices):
    METRIC = "metric", "Metric (PromQL)"
    LOG_COUNT = "log_count", "Log count over a window"
    LOG_LINE = "log_line", "Log line (immediate)"


class RuleSource(models.TextChoices):
    LOCAL = "local", "Stored metrics (minute rollups)"
    PROMETHEUS = "prometheus", "Prometheus (PROMETHEUS_URL)"


class RuleHealth(models.TextChoices):
    UNKNOWN = "unknown", "Not evaluated yet"
    OK = "ok", "OK"
    ERROR = "error", "Erroring"


class AlertState(models.TextChoices):
    PENDING = "pending", "Pending"
    FIRING = "firing", "Firing"


class Comparison(models.TextChoices):
    GT = ">", "above"
    GE = ">=", "at or above"
    LT = "<", "below"
    LE = "<=", "at or below"
    EQ = "==", "equal to"
    NE = "!=", "not equal to"
