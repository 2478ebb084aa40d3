"""Choices of the slo app."""

from django.db import models


class ServiceTier(models.IntegerChoices):
    """Tier 1 is customer-facing and critical; incidents on it page by default."""

    TIER_1 = 1, "Tier 1 (critical)"
    TIER_2 = 2, "Tier 2"
    TIER_3 = 3, "Tier 3"


class WindowKind(models.TextChoices):
    ROLLING = "rolling", "Rolling N days"
    CALENDAR = "calendar", "Calendar period"


class CalendarUnit(models.TextChoices):
    WEEK = "week", "Week (Monday to Sunday)"
    MONTH = "month", "Month"


class BudgetingMethod(models.TextChoices):
    OCCURRENCES = "Occurrences", "Occurrences (good events / all events)"
    TIMESLICES = "Timeslices", "Timeslices (good minutes / minutes with traffic)"


class SliKind(models.TextChoices):
    RATIO = "ratio", "Ratio of two counters (metric store)"
    PROMQL = "promql", "PromQL good/total (Prometheus)"
    LOG = "log", "Log lines (bad lines / all lines)"
    LATENCY = "latency", "Latency (share under a threshold, histogram buckets)"


class MissingGood(models.TextChoices):
    """A good/total SLI's minutes with total samples but no good sample."""

    NO_DATA = "no_data", "No data (left out of the counts)"
    BAD = "bad", "Bad (every event of those minutes counts as bad)"


class DataState(models.TextChoices):
    OK = "ok", "OK"
    NO_DATA = "no_data", "No data"
    SOURCE_ERROR = "source_error", "Source error"
