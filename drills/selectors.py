"""Reads of the drills app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery.schedules import crontab
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from drills.choices import ACTIVE_STATUSES, RunStatus
from drills.domain.schedule import crontab_fields
from drills.models import BackupTarget, CheckResult, DrillRun, DrillStep, VerificationCheck


def target_list() -> QuerySet[BackupTarget]:
    """Targets with their last finished run and any active run, in one query."""
    finished = DrillRun.objects.filter(target=OuterRef("pk"), finished_at__isnull=False).order_by("-finished_at", "-pk")
    active = DrillRun.objects.filter(target=OuterRef("pk"), status__in=ACTIVE_STATUSES).order_by("-pk")
    return (
        BackupTarget.objects.select_related("service")
        .annotate(
            last_run_id=Subquery(finished.values("pk")[:1]),
            last_status=Subquery(finished.values("status")[:1]),
            last_finished_at=Subquery(finished.values("finished_at")[:1]),
            last_rto_seconds=Subquery(finished.values("rto_seconds")[:1]),
            last_rpo_seconds=Subquery(finished.values("rpo_seconds")[:1]),
            last_message=Subquery(finished.values("message")[:1]),
            active_run_id=Subquery(active.values("pk")[:1]),
            active_status=Subquery(active.values("status")[:1]),
        )
        .order_by("name")
    )


def target_get(*, pk: int) -> BackupTarget:
    return target_list().prefetch_related("checks").get(pk=pk)


def check_get(*, pk: int) -> VerificationCheck:
    """One verification check with its target (``VerificationCheck.DoesNotExist`` when gone)."""
    return VerificationCheck.objects.select_related("target").get(pk=pk)


def next_run_at(*, schedule: str, enabled: bool, now: dt.datetime) -> dt.datetime | None:
    """When the crontab ``schedule`` fires next after ``now`` (UTC); None if unscheduled, disabled or invalid."""
    if not schedule or not enabled:
        return None
    try:
        cron = crontab(**crontab_fields(schedule), nowfun=lambda: now)
        return now + cron.remaining_estimate(now)
    except (ValueError, TypeError):
        return None


def run_list(*, target_id: int | None = None, status: str | None = None) -> QuerySet[DrillRun]:
    runs = DrillRun.objects.select_related("target", "requested_by")
    if target_id is not None:
        runs = runs.filter(target_id=target_id)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-queued_at", "-pk")


def run_get(*, pk: int) -> DrillRun:
    return (
        DrillRun.objects.select_related("target", "target__service", "requested_by")
        .prefetch_related(
            Prefetch("steps", queryset=DrillStep.objects.order_by("position")),
            Prefetch("check_results", queryset=CheckResult.objects.order_by("position", "pk")),
        )
        .get(pk=pk)
    )


def trend(*, target_id: int, limit: int = 60) -> list[dict[str, Any]]:
    """The last ``limit`` concluded runs (oldest first) with RTO/RPO against their targets, for the chart."""
    rows = list(
        DrillRun.objects.filter(target_id=target_id, status__in=(RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR))
        .order_by("-finished_at", "-pk")
        .values(
            "pk", "status", "finished_at", "rto_seconds", "rpo_seconds", "rto_target_seconds", "rpo_target_seconds"
        )[:limit]
    )
    rows.reverse()
    return [
        {
            "run": r["pk"],
            "status": r["status"],
            "finished_at": r["finished_at"].isoformat(),
            "rto": r["rto_seconds"],
            "rpo": r["rpo_seconds"],
            "rto_target": r["rto_target_seconds"],
            "rpo_target": r["rpo_target_seconds"],
        }
        for r in rows
    ]


def evidence_runs(*, start: dt.datetime, end: dt.datetime, target_id: int | None = None) -> QuerySet[DrillRun]:
    """Runs queued in ``[start, end)`` with their checks and steps, oldest first (for audits)."""
    runs = DrillRun.objects.filter(queued_at__gte=start, queued_at__lt=end)
    if target_id is not None:
        runs = runs.filter(target_id=target_id)
    return (
        runs.select_related("target", "requested_by")
        .prefetch_related(
            Prefetch("check_results", queryset=CheckResult.objects.order_by("position", "pk")),
            Prefetch("steps", queryset=DrillStep.objects.order_by("position")),
        )
        .order_by("queued_at", "pk")
    )


def recent_results(*, limit: int = 8) -> list[BackupTarget]:
    """Targets with their last result, failing ones first (for the Overview card)."""
    order = {RunStatus.FAILED: 0, RunStatus.ERROR: 1, None: 3}
    targets = list(target_list()[:200])
    targets.sort(key=lambda t: (order.get(t.last_status, 2), t.name))
    return targets[:limit]
