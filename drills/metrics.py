"""Prometheus metrics of the drills app: last result, RTO and RPO per target (exposed at ``/metrics``).

Gauges use the ``mostrecent`` multiprocess mode so the value written last by any process (the worker that
finished the run, or the reaper's refresh) is the one exposed."""

from __future__ import annotations

from prometheus_client import Gauge

from drills.choices import FINISHED_STATUSES, RunStatus
from drills.models import BackupTarget, DrillRun

LAST_RESULT = Gauge(
    "sre_drill_last_result",
    "1 if the target's last finished restore drill passed, 0 if it failed or errored.",
    ["target"],
    multiprocess_mode="mostrecent",
)
LAST_RTO = Gauge(
    "sre_drill_last_rto_seconds", "RTO achieved by the target's last drill.", ["target"], multiprocess_mode="mostrecent"
)
LAST_RPO = Gauge(
    "sre_drill_last_rpo_seconds", "RPO achieved by the target's last drill.", ["target"], multiprocess_mode="mostrecent"
)
RTO_TARGET = Gauge(
    "sre_drill_rto_target_seconds", "RTO target of the backup target.", ["target"], multiprocess_mode="mostrecent"
)
RPO_TARGET = Gauge(
    "sre_drill_rpo_target_seconds", "RPO target of the backup target.", ["target"], multiprocess_mode="mostrecent"
)


def _set(run: DrillRun) -> None:
    name = run.target.name
    LAST_RESULT.labels(target=name).set(1 if run.status == RunStatus.PASSED else 0)
    if run.rto_seconds is not None:
        LAST_RTO.labels(target=name).set(run.rto_seconds)
    if run.rpo_seconds is not None:
        LAST_RPO.labels(target=name).set(run.rpo_seconds)
    RTO_TARGET.labels(target=name).set(run.target.rto_target_seconds)
    RPO_TARGET.labels(target=name).set(run.target.rpo_target_seconds)


def metrics_record(*, run_id: int) -> None:
    """Publish a finished run (cancelled runs prove nothing and leave the previous values)."""
    run = DrillRun.objects.select_related("target").filter(pk=run_id).first()
    if run is not None and run.status in (RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR):
        _set(run)


def metrics_refresh() -> None:
    """Re-publish every target's last concluded run (after restarts the gauges would otherwise be empty)."""
    concluded = [s for s in FINISHED_STATUSES if s != RunStatus.CANCELLED]
    for target in BackupTarget.objects.all():
        run = target.runs.filter(status__in=concluded).select_related("target").order_by("-finished_at", "-pk").first()
        if run is not None:
            _set(run)
