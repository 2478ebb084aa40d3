"""Models of the heartbeats app: checks (dead-man switches) and the pings they receive.

A check's configuration (name, schedule, grace, labels, paused) is written by ``heartbeats.services.checks``; its
runtime fields (state, last pings, deadlines, alert bookkeeping) only by pings and the check pass
(``heartbeats.services.pings`` / ``evaluation``), always under the row's lock.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from heartbeats.choices import CheckState, PingKind, ScheduleKind


class Check(models.Model):
    """A job that must ping ``/api/v1/heartbeats/<ping_key>`` every ``period_seconds`` (or whenever ``cron`` fires
    in ``timezone``), with ``grace_seconds`` of slack; otherwise ``HeartbeatMissed`` fires. A failure ping fires
    ``HeartbeatFailed``; the next success resolves either.

    ``ping_key`` is the secret: anyone who has it may ping (and so silence the alert); a new one can be made, which
    makes the old URL unknown. Invariants kept by the services: ``alert_at`` is set only in states new (a run
    started), up and late; ``alert_labels`` is the label set of the alert last sent firing (``{}`` when none), so
    the resolve addresses the same alert even after the check's labels were edited; ``alert_synced`` is False while
    ``alert_wanted`` has not yet reached the alerts app (the check pass retries)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, help_text="The alert's heartbeat label.")
    description = models.TextField(blank=True)
    ping_key = models.UUIDField(default=uuid.uuid4, editable=False)
    schedule_kind = models.CharField(max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.PERIOD)
    period_seconds = models.PositiveIntegerField(default=86400)
    cron = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    grace_seconds = models.PositiveIntegerField(default=3600)
    severity = models.CharField(max_length=50, default="critical")
    service = models.CharField(max_length=100, blank=True)
    team = models.CharField(max_length=100, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Runtime, written by pings and the check pass.
    state = models.CharField(max_length=10, choices=CheckState.choices, default=CheckState.NEW)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    last_ping_at = models.DateTimeField(null=True, blank=True, help_text="Last success or failure.")
    last_start_at = models.DateTimeField(null=True, blank=True)
    last_duration_seconds = models.FloatField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    alert_at = models.DateTimeField(null=True, blank=True, help_text="Goes down at this time unless pinged.")
    ping_count = models.PositiveBigIntegerField(default=0)
    alert_wanted = models.CharField(max_length=30, blank=True)
    alert_labels = models.JSONField(default=dict, blank=True)
    alert_synced = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="heartbeats_check_name_unique"),
            models.UniqueConstraint(fields=["slug"], name="heartbeats_check_slug_unique"),
            models.UniqueConstraint(fields=["ping_key"], name="heartbeats_check_ping_key_unique"),
            models.CheckConstraint(
                condition=Q(period_seconds__gte=60) & Q(grace_seconds__gte=60),
                name="heartbeats_check_times_min",
            ),
            models.CheckConstraint(
                condition=~Q(schedule_kind="cron") | ~Q(cron=""), name="heartbeats_check_cron_needs_expression"
            ),
        ]
        indexes = [
            models.Index(fields=["alert_at"], name="heartbeats_check_alert_at_idx"),
            models.Index(fields=["state", "next_due_at"], name="heartbeats_check_due_idx"),
            models.Index(
                fields=["alert_synced"], name="heartbeats_check_unsynced_idx", condition=Q(alert_synced=False)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Ping(models.Model):
    """One request to a check's ping URL. ``n`` counts the check's pings from 1 (``Check.ping_count``); only the
    last ``heartbeats.services.pings.PINGS_KEPT`` are kept. ``duration_seconds`` is set on a success or failure
    that ended a run begun by a start ping; ``late`` when it came after the check was due."""

    heartbeat = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="pings")
    n = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=10, choices=PingKind.choices)
    at = models.DateTimeField()
    duration_seconds = models.FloatField(null=True, blank=True)
    late = models.BooleanField(default=False)
    exit_status = models.PositiveSmallIntegerField(null=True, blank=True)
    method = models.CharField(max_length=10, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text="The first 10 KB of the request body.")
    body_bytes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["heartbeat_id", "-n"]
        constraints = [models.UniqueConstraint(fields=["heartbeat", "n"], name="heartbeats_ping_check_n_unique")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.n} of {self.heartbeat_id}"
