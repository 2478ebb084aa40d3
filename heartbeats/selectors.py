"""Reads of the heartbeats app, and the domain values of a check (``heartbeats.domain`` works on these)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from heartbeats.domain.alerting import Subject
from heartbeats.domain.schedule import Timing, timing_in_words
from heartbeats.domain.state import Status
from heartbeats.models import Check, Ping

RECENT_PINGS = 50


def check_list() -> QuerySet[Check]:
    """Every check, by name; no related rows are needed to show one."""
    return Check.objects.order_by("name", "pk")


def check_get(*, pk: int) -> Check:
    return Check.objects.get(pk=pk)


def pings_of(*, check_id: int) -> QuerySet[Ping]:
    """The check's pings, newest first."""
    return Ping.objects.filter(heartbeat_id=check_id).order_by("-n")


def recent_pings(*, check_id: int, limit: int = RECENT_PINGS) -> list[Ping]:
    return list(pings_of(check_id=check_id)[:limit])


def timing_of(check: Check) -> Timing:
    return Timing(
        kind=check.schedule_kind,
        period_seconds=check.period_seconds,
        cron=check.cron,
        timezone=check.timezone,
        grace_seconds=check.grace_seconds,
    )


def status_of(check: Check) -> Status:
    return Status(
        state=check.state,
        state_changed_at=check.state_changed_at,
        last_ping_at=check.last_ping_at,
        last_start_at=check.last_start_at,
        next_due_at=check.next_due_at,
        alert_at=check.alert_at,
        alert_wanted=check.alert_wanted,
    )


def subject_of(check: Check) -> Subject:
    return Subject(
        name=check.name,
        slug=check.slug,
        severity=check.severity,
        service=check.service,
        team=check.team,
        labels=dict(check.labels or {}),
        description=check.description,
        schedule=timing_in_words(timing_of(check)),
    )


def ping_url(check: Check) -> str:
    """The check's secret ping URL (success; ``/start`` and ``/fail`` are beside it)."""
    base = settings.SRE["BASE_URL"].rstrip("/")
    return base + reverse("heartbeat-ping", kwargs={"uuid": str(check.ping_key)})


def check_url(check_id: int) -> str:
    """The check's page, as linked from its alerts."""
    return settings.SRE["BASE_URL"].rstrip("/") + reverse("heartbeats:detail", args=[check_id])
