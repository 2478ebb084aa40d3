"""Models of the slo app: services, their SLOs and the status snapshots the evaluator stores."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from slo.choices import BudgetingMethod, CalendarUnit, DataState, MissingGood, ServiceTier, SliKind, WindowKind
from slo.domain.budget import Condition
from slo.domain.spec import policy_default


class Service(models.Model):
    """Something users depend on, owned by a team. ``name`` is a slug used as the ``service`` label."""

    name = models.SlugField(max_length=100)
    owner_team = models.CharField(max_length=100, blank=True)
    tier = models.PositiveSmallIntegerField(choices=ServiceTier.choices, default=ServiceTier.TIER_2)
    description = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True, help_text='[{"title": "Runbook", "url": "https://…"}]')
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="slo_service_name_unique")]

    def __str__(self) -> str:
        return self.name


class SLO(models.Model):
    """A service level objective: ``target`` share of good events (or good time slices) over a window.

    ``sli`` is validated by ``slo.domain.spec.sli_validate`` for ``sli_kind``; ``alert_policy`` by
    ``policy_validate`` (both through ``slo.services.slo_save``). ``target`` is a Decimal so the maths
    is exact. ``status`` caches the latest snapshot (written only by the evaluator) for list pages;
    ``burn_alerts`` the names of the policy conditions currently firing (so alerts are raised and
    resolved on transitions only).
    """

    # Not a field: set on an instance by slo.services.evaluation._conditions (the alert_policy read, its conditions).
    _conditions_cache: tuple[object, tuple[Condition, ...]]

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="slos")
    name = models.SlugField(max_length=100, help_text="A slug unique within the service: the slo label of burn alerts.")
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    target = models.DecimalField(
        max_digits=9,
        decimal_places=8,
        default=Decimal("0.999"),
        validators=[MinValueValidator(Decimal("0.00000001")), MaxValueValidator(Decimal("0.99999999"))],
    )
    window_kind = models.CharField(max_length=10, choices=WindowKind.choices, default=WindowKind.ROLLING)
    window_days = models.PositiveSmallIntegerField(default=30, validators=[MinValueValidator(1), MaxValueValidator(90)])
    calendar_unit = models.CharField(max_length=10, choices=CalendarUnit.choices, default=CalendarUnit.MONTH)
    timezone = models.CharField(max_length=64, default="UTC")
    budgeting_method = models.CharField(
        max_length=12, choices=BudgetingMethod.choices, default=BudgetingMethod.OCCURRENCES
    )
    timeslice_target = models.DecimalField(
        max_digits=9, decimal_places=8, default=Decimal("0.99"), help_text="Timeslices: a minute is good at this SLI."
    )
    sli_kind = models.CharField(max_length=10, choices=SliKind.choices, default=SliKind.RATIO)
    sli = models.JSONField(default=dict)
    missing_good = models.CharField(
        max_length=8,
        choices=MissingGood.choices,
        default=MissingGood.NO_DATA,
        help_text="Good/total SLIs: a minute with total samples and no good sample is no data, or all bad.",
    )
    alert_policy = models.JSONField(default=policy_default, blank=True)
    enabled = models.BooleanField(default=True)
    status = models.JSONField(default=dict, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    burn_alerts = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name = "SLO"
        constraints = [
            # Two services may each have an SLO "availability": burn alerts carry both labels.
            models.UniqueConstraint(fields=["service", "name"], name="slo_slo_service_name_unique"),
            models.CheckConstraint(
                condition=models.Q(target__gt=0) & models.Q(target__lt=1), name="slo_slo_target_range"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name


class SLOSnapshot(models.Model):
    """The status of one SLO at one evaluation, for history charts (pruned after
    ``SRE["SLO_SNAPSHOT_RETENTION_DAYS"]``). Numbers are stored as floats for charts; the exact values
    are recomputed from the counts (``bad``/``total`` are the window's counts)."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="snapshots")
    at = models.DateTimeField()
    data_state = models.CharField(max_length=12, choices=DataState.choices)
    error = models.TextField(blank=True)
    sli = models.FloatField(null=True)
    bad = models.FloatField(null=True)
    total = models.FloatField(null=True)
    remaining_ratio = models.FloatField(null=True)
    time_to_exhaustion = models.FloatField(null=True, help_text="Seconds at the last hour's burn rate.")
    burn_rates = models.JSONField(default=dict)
    firing = models.JSONField(default=list)

    class Meta:
        ordering = ["slo_id", "at"]
        constraints = [models.UniqueConstraint(fields=["slo", "at"], name="slo_snapshot_unique")]
        indexes = [models.Index(fields=["at"], name="slo_snapshot_at_idx")]

    def __str__(self) -> str:
        return f"{self.slo_id}@{self.at:%Y-%m-%dT%H:%M}"
