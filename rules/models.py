"""Models of the rules app: alert rules (PromQL over the stored metrics or Prometheus, counts of log lines, and
log lines matched as they are ingested) and the state of each rule's active alerts.

A rule behaves as a Prometheus alerting rule: every evaluation yields a set of label sets for which the
condition holds; a label set is *pending* until it has held for ``for_seconds``, then *firing*; it resolves when
it has not held for ``keep_firing_for_seconds``. The alerts enter the product's intake
(``alerts.services.alert_raise``) with ``alertname`` = the rule's name, the result's labels, the rule's labels
and its templated annotations.
"""

from __future__ import annotations

from django.db import models

from rules.choices import AlertState, Comparison, RuleHealth, RuleKind, RuleSource


class AlertRule(models.Model):
    name = models.CharField(max_length=200, help_text="The alertname label of its alerts.")
    group = models.CharField(max_length=200, default="default", help_text="Rule group (as in a Prometheus rule file).")
    kind = models.CharField(max_length=10, choices=RuleKind.choices, default=RuleKind.METRIC)
    source = models.CharField(max_length=12, choices=RuleSource.choices, default=RuleSource.LOCAL)
    # metric rules: a PromQL expression whose result samples are the alerts
    expr = models.TextField(blank=True)
    # log rules: which lines (service exact, levels, words or a pattern), and for counts the window and threshold
    log_service = models.CharField(max_length=100, blank=True)
    log_levels = models.JSONField(default=list, blank=True)
    log_text = models.CharField(max_length=500, blank=True, help_text="Words in the message (log count rules).")
    log_pattern = models.CharField(
        max_length=500, blank=True, help_text="RE2 pattern searched in the message (log line rules)."
    )
    log_group_by = models.JSONField(default=list, blank=True, help_text='Labels to count by: "service", "level".')
    window_seconds = models.PositiveIntegerField(default=300)
    comparison = models.CharField(max_length=2, choices=Comparison.choices, default=Comparison.GT)
    threshold = models.FloatField(default=0.0)
    for_seconds = models.PositiveIntegerField(default=0)
    keep_firing_for_seconds = models.PositiveIntegerField(default=0)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    # written by evaluation
    health = models.CharField(max_length=8, choices=RuleHealth.choices, default=RuleHealth.UNKNOWN)
    last_error = models.TextField(blank=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "name"], name="rules_rule_group_name_unique"),
        ]
        indexes = [models.Index(fields=["kind", "enabled"], name="rules_rule_kind_idx")]

    def __str__(self) -> str:
        return f"{self.group}/{self.name}"


class RuleAlert(models.Model):
    """One label set of a rule whose condition holds (pending or firing). Deleted when it resolves."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=64)
    labels = models.JSONField(default=dict)
    state = models.CharField(max_length=8, choices=AlertState.choices, default=AlertState.PENDING)
    value = models.FloatField(null=True, blank=True)
    active_at = models.DateTimeField(help_text="When the condition first held.")
    fired_at = models.DateTimeField(null=True, blank=True)
    last_true_at = models.DateTimeField(help_text="The last evaluation at which the condition held.")
    keep_firing_since = models.DateTimeField(
        null=True, blank=True, help_text="First evaluation at which a firing alert's condition no longer held."
    )

    class Meta:
        ordering = ["rule_id", "fingerprint"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "fingerprint"], name="rules_alert_rule_fp_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.fingerprint} {self.state}"
