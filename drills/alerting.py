"""The one adapter from drills to the alerts app: a failed drill fires ``DrillFailed``; the next passing
drill resolves it. Called on commit after a run finishes; it never breaks the drill's own record."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from alerts.services import alert_raise
from drills.choices import RunStatus
from drills.domain.verdict import TENTHS_BELOW
from drills.models import DrillRun
from sre.domain.timewords import duration_words

logger = logging.getLogger(__name__)

ALERTNAME = "DrillFailed"
SOURCE = "drills"


def alert_labels(run: DrillRun) -> dict[str, str]:
    """The same labels for firing and resolved, so both address one alert."""
    target = run.target
    return {
        "alertname": ALERTNAME,
        "drill_target": target.name,
        "severity": "critical",
        "service": target.service.name if target.service_id else "control-plane",
    }


def _of_target(observed: float | None, target: float | None) -> str:
    said = [duration_words(seconds, tenths_below=TENTHS_BELOW) for seconds in (observed, target)]
    return f"{said[0]} (target {said[1]})"


def alert_annotations(run: DrillRun) -> dict[str, str]:
    target = run.target
    if run.status == RunStatus.PASSED:
        summary = f"Restore drill of {target.name} passed again"
    else:
        summary = f"Restore drill of {target.name} {'failed' if run.status == RunStatus.FAILED else 'errored'}"
    return {
        "summary": summary,
        "description": "\n".join(run.reasons or [run.message]) or run.message,
        "drill_run": str(run.pk),
        "drill_status": run.status,
        "rto": _of_target(run.rto_seconds, run.rto_target_seconds),
        "rpo": _of_target(run.rpo_seconds, run.rpo_target_seconds),
    }


def _previous_concluded(run: DrillRun) -> DrillRun | None:
    return (
        DrillRun.objects.filter(target_id=run.target_id, finished_at__isnull=False, pk__lt=run.pk)
        .exclude(status=RunStatus.CANCELLED)
        .order_by("-pk")
        .first()
    )


def alert_payload(run: DrillRun) -> dict[str, Any] | None:
    """What to send for a finished run: firing for failed/error, resolved for a pass after a failure."""
    if run.status in (RunStatus.FAILED, RunStatus.ERROR):
        status = "firing"
    elif run.status == RunStatus.PASSED:
        previous = _previous_concluded(run)
        if previous is None or previous.status not in (RunStatus.FAILED, RunStatus.ERROR):
            return None
        status = "resolved"
    else:
        return None
    finished = run.finished_at or timezone.now()
    return {
        "labels": alert_labels(run),
        "annotations": alert_annotations(run),
        "status": status,
        "source": SOURCE,
        "starts_at": finished if status == "firing" else None,
        "ends_at": finished if status == "resolved" else None,
        "generator_url": settings.SRE.get("BASE_URL", "").rstrip("/") + reverse("drills:run-detail", args=[run.pk]),
    }


def drill_alert_send(*, run_id: int) -> None:
    """Raise or resolve ``DrillFailed`` through ``alerts.services.alert_raise``."""
    run = DrillRun.objects.select_related("target__service").filter(pk=run_id).first()
    if run is None:
        return
    payload = alert_payload(run)
    if payload is None:
        return
    try:
        alert_raise(now=timezone.now(), **payload)
    except Exception:
        logger.exception("Could not raise the drill alert for run %s", run_id)
