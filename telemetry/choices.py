"""Choices of the telemetry app."""

from django.db import models


class SeriesKind(models.TextChoices):
    COUNTER = "counter", "Counter (cumulative)"
    GAUGE = "gauge", "Gauge"
    DELTA = "delta", "Counter (pushed as increments)"


class LogLevel(models.TextChoices):
    DEBUG = "debug", "Debug"
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"
    CRITICAL = "critical", "Critical"
