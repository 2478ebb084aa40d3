"""Models of the releases app: error-budget policies, the threshold notices they send, deploy-gate overrides and
deployments (with their release-burn watch and rollback webhook ledger)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from releases.choices import RollbackState, WatchState
from releases.domain.policy import (
    DEFAULT_FACTOR,
    DEFAULT_MIN_BAD_EVENTS,
    DEFAULT_WATCH_MINUTES,
    thresholds_default,
)
from slo.models import SLO, Service
from sre.crypto import EncryptedTextField


class BudgetPolicy(models.Model):
    """What a service (``slo`` null) or one SLO (``slo`` set, overriding its service's policy as a whole) does as
    its error budget is spent: notices at ``thresholds`` (percent of the budget consumed), a release freeze at
    exhaustion (``freeze_on_exhaustion``), and the release-burn watch after each deployment (a release burning
    faster than ``release_burn_factor`` × within ``release_watch_minutes``, with at least
    ``release_min_bad_events`` bad events, fires ``ReleaseBurn``). The rollback webhook is the service's only.

    Invariants (``releases.services.policies.policy_save``): ``slo`` belongs to ``service``; one policy per service
    and one per SLO; thresholds are 1-10 distinct numbers in (0, 1000]. Without a row the defaults apply
    (``releases.domain.policy.DEFAULT_RULES``).
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="budget_policies")
    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, null=True, blank=True, related_name="budget_policies")
    thresholds = models.JSONField(
        default=thresholds_default, help_text="Percent of the budget consumed: [80, 95, 100]."
    )
    freeze_on_exhaustion = models.BooleanField(default=True)
    release_burn_factor = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal(DEFAULT_FACTOR))
    release_watch_minutes = models.PositiveIntegerField(default=DEFAULT_WATCH_MINUTES)
    release_min_bad_events = models.PositiveIntegerField(default=DEFAULT_MIN_BAD_EVENTS)
    rollback_webhook_url = models.CharField(max_length=500, blank=True)
    rollback_webhook_secret = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__name", "slo__name"]
        verbose_name_plural = "budget policies"
        constraints = [
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(slo__isnull=True), name="releases_policy_service_unique"
            ),
            models.UniqueConstraint(
                fields=["slo"], condition=models.Q(slo__isnull=False), name="releases_policy_slo_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(release_burn_factor__gte=1) & models.Q(release_burn_factor__lte=1000),
                name="releases_policy_factor_range",
            ),
            models.CheckConstraint(
                condition=models.Q(release_watch_minutes__gte=1) & models.Q(release_watch_minutes__lte=1440),
                name="releases_policy_watch_range",
            ),
        ]

    def __str__(self) -> str:
        return f"budget policy of {self.slo.name if self.slo_id else self.service.name}"


class BudgetNotice(models.Model):
    """One threshold crossing of one SLO, sent once per window as an ``ErrorBudgetThreshold`` alert.

    ``window_start`` is the calendar period's start for calendar windows (one notice per threshold per period,
    open until the period ends) and the crossing's time for rolling windows (open until consumption falls back
    below 95% of the threshold, which re-arms it). At most one open notice (``cleared_at`` null) per SLO and
    threshold, and one per SLO, threshold and window: both are constraints, so a run of the evaluator twice, or
    two at once, sends nothing twice. ``labels`` are those the alert was raised with (its resolve uses them, also
    after the SLO is deleted). Written only by ``releases.services.notices``.
    """

    slo = models.ForeignKey(SLO, on_delete=models.SET_NULL, null=True, related_name="budget_notices")
    threshold = models.DecimalField(max_digits=6, decimal_places=2, help_text="Percent of the budget consumed.")
    window_start = models.DateTimeField()
    opened_at = models.DateTimeField()
    consumed_ratio = models.FloatField(help_text="Budget consumed when the crossing was observed (1 = all).")
    labels = models.JSONField(default=dict)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["slo", "threshold", "window_start"], name="releases_notice_once_per_window"
            ),
            models.UniqueConstraint(
                fields=["slo", "threshold"],
                condition=models.Q(cleared_at__isnull=True),
                name="releases_notice_one_open",
            ),
        ]
        indexes = [models.Index(fields=["cleared_at"], name="releases_notice_cleared_idx")]

    def __str__(self) -> str:
        return f"{self.labels.get('slo', self.slo_id)} {self.threshold}% since {self.opened_at:%Y-%m-%d %H:%M}"


class GateOverride(models.Model):
    """A responder's (or admin's) decision that the deploy gate of ``service`` allows releases until ``expires_at``
    despite a freeze, with the ``reason`` (recorded in the audit trail). Never deleted: ``revoked_at`` ends it
    early. Active while not revoked and ``expires_at`` is in the future."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="gate_overrides")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="releases_override_expires_after"
            )
        ]
        indexes = [models.Index(fields=["service", "expires_at"], name="releases_override_active_idx")]

    def __str__(self) -> str:
        return f"gate override of {self.service_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class Deployment(models.Model):
    """A release of ``service`` (``version`` at ``at``), pushed by CI or typed in. Recorded through
    ``releases.services.deployments.deployment_record`` only.

    The release-burn watch: ``watch_policy`` freezes, at recording time, the SLOs to watch with their factor,
    watch minutes and minimum of bad events; ``watch_until`` is the end of the longest watch. ``watch_state`` goes
    watching → burning (``ReleaseBurn`` fired once, ``release_burn_at`` and the numbers in ``release_burn``) →
    burned, or watching → clean. The rollback webhook ledger (``rollback_*``): ``pending`` when the burn fired and a
    webhook was configured, ``sending`` once claimed (under a row lock: never a second attempt), then
    ``delivered`` or ``failed`` with the status code or error.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="deployments")
    version = models.CharField(max_length=200)
    at = models.DateTimeField()
    url = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.ForeignKey("sre.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    watch_state = models.CharField(max_length=12, choices=WatchState.choices, default=WatchState.WATCHING)
    watch_until = models.DateTimeField()
    watch_policy = models.JSONField(default=dict)
    release_burn_at = models.DateTimeField(null=True, blank=True)
    release_burn = models.JSONField(default=dict, blank=True)
    rollback_state = models.CharField(max_length=10, choices=RollbackState.choices, default=RollbackState.NONE)
    rollback_attempted_at = models.DateTimeField(null=True, blank=True)
    rollback_finished_at = models.DateTimeField(null=True, blank=True)
    rollback_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    rollback_error = models.TextField(blank=True)
    idempotency_key = models.CharField(
        max_length=100, blank=True, default="", help_text="The caller's key: a retried record returns the first."
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["service", "at"], name="releases_deploy_service_at_idx"),
            models.Index(fields=["watch_state"], name="releases_deploy_watch_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="releases_deploy_idempotency_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.version} @ {self.at:%Y-%m-%d %H:%M}"
