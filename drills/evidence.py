"""Evidence export for audits: every run in a period with its checks, as CSV and as JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from drills.models import DrillRun
from sre.domain.csv_cells import csv_cell

RUN_COLUMNS = (
    "run_id", "target", "kind", "trigger", "status", "queued_at", "started_at", "finished_at", "backup_ref",
    "backup_taken_at", "backup_size_bytes", "restore_started_at", "verified_at", "rto_seconds", "rto_target_seconds",
    "rpo_seconds", "rpo_target_seconds", "message",
)  # fmt: skip
CHECK_COLUMNS = ("check_name", "check_kind", "check_passed", "check_expected", "check_observed", "check_message")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def run_record(run: DrillRun) -> dict[str, Any]:
    return {
        "run_id": run.pk,
        "target": run.target.name,
        "kind": run.plan.get("engine") or run.target.kind,
        "trigger": run.trigger,
        "status": run.status,
        "queued_at": _iso(run.queued_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "backup_ref": run.backup_ref,
        "backup_taken_at": _iso(run.backup_taken_at),
        "backup_size_bytes": run.backup_size_bytes,
        "restore_started_at": _iso(run.restore_started_at),
        "verified_at": _iso(run.verified_at),
        "rto_seconds": run.rto_seconds,
        "rto_target_seconds": run.rto_target_seconds,
        "rpo_seconds": run.rpo_seconds,
        "rpo_target_seconds": run.rpo_target_seconds,
        "message": run.message,
    }


def evidence_json(runs: Iterable[DrillRun], *, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    items = []
    for run in runs:
        record = run_record(run)
        record["requested_by"] = run.requested_by.get_username() if run.requested_by_id else None
        record["reasons"] = run.reasons
        record["plan"] = run.plan
        record["steps"] = [
            {"name": s.name, "status": s.status, "started_at": _iso(s.started_at), "finished_at": _iso(s.finished_at)}
            for s in run.steps.all()
        ]
        record["checks"] = [
            {
                "name": c.name,
                "kind": c.kind,
                "passed": c.passed,
                "expected": c.expected,
                "observed": c.observed,
                "message": c.message,
            }
            for c in run.check_results.all()
        ]
        items.append(record)
    return {"period": {"start": start.isoformat(), "end": end.isoformat()}, "count": len(items), "runs": items}


def evidence_csv(runs: Iterable[DrillRun]) -> str:
    """One line per check result (a run without checks gets one line with empty check columns)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*RUN_COLUMNS, *CHECK_COLUMNS])
    for run in runs:
        record = run_record(run)
        base = [csv_cell(record[c]) for c in RUN_COLUMNS]
        checks = list(run.check_results.all())
        if not checks:
            writer.writerow(base + [""] * len(CHECK_COLUMNS))
        for c in checks:
            writer.writerow(base + [csv_cell(v) for v in (c.name, c.kind, c.passed, c.expected, c.observed, c.message)])
    return out.getvalue()
