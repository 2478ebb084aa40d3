"""One evaluation of every enabled rule: results, the pending/firing state of each label set, and the alerts that
start or end, sent to the intake in one batch (routing, silences and on-call as for every alert).

A rule whose evaluation fails is marked erroring with the message and its alerts are left exactly as they were:
an error never fires and never resolves anything. Runs under a row lock of the evaluated rules, so two runs at
once (a second beat, a retry) serialise and the second finds the states the first wrote.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import overload

from django.conf import settings
from django.db import transaction

from alerts.domain.matchers import fingerprint
from alerts.services import AlertInput, alerts_ingest
from rules.choices import AlertState, RuleHealth, RuleKind
from rules.domain import state as machine
from rules.domain.template import render
from rules.models import AlertRule, RuleAlert
from rules.services.results import Results, rule_results
from sre.errors import ConflictError

logger = logging.getLogger(__name__)
EVALUATED_KINDS = (RuleKind.METRIC, RuleKind.LOG_COUNT)  # log line rules fire at ingest; only their expiry is here
SOURCE = "rules"


@dataclass(frozen=True)
class EvaluationReport:
    rules: int
    errors: int
    fired: int
    resolved: int
    seconds: float


def _ts(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


@overload
def _dt(value: float) -> dt.datetime: ...
@overload
def _dt(value: None) -> None: ...
@overload
def _dt(value: float | None) -> dt.datetime | None: ...
def _dt(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, tz=dt.UTC)


def alert_labels(rule: AlertRule, sample_labels: dict[str, str], value: float) -> dict[str, str]:
    """Prometheus' label set of an alert: the result's labels, then the rule's (templated), then alertname."""
    labels = {k: v for k, v in sample_labels.items() if k != "__name__"}
    for name, text in rule.labels.items():
        labels[name] = render(text, labels=sample_labels, value=value)
    labels["alertname"] = rule.name
    return {k: v for k, v in labels.items() if v != ""}


def rule_link(rule: AlertRule) -> str:
    return f"{settings.SRE['BASE_URL'].rstrip('/')}/rules/{rule.pk}/"


def _annotations(rule: AlertRule, labels: dict[str, str], value: float | None) -> dict[str, str]:
    v = 0.0 if value is None else value
    return {name: render(text, labels=labels, value=v) for name, text in rule.annotations.items()}


def _item(rule: AlertRule, change: machine.Change, *, now: dt.datetime) -> AlertInput:
    active = change.active
    labels = dict(active.labels)
    sample_labels = {k: v for k, v in labels.items() if k != "alertname" and k not in rule.labels}
    firing = change.kind == "fire"
    return AlertInput(
        labels=labels,
        annotations=_annotations(rule, sample_labels, active.value),
        status="firing" if firing else "resolved",
        starts_at=_dt(active.active_at),
        ends_at=None if firing else now,
        generator_url=rule_link(rule),
    )


def _as_active(row: RuleAlert) -> machine.Active:
    return machine.Active(
        labels=row.labels,
        state=row.state,
        value=row.value,
        active_at=row.active_at.timestamp(),
        fired_at=_ts(row.fired_at),
        last_true_at=row.last_true_at.timestamp(),
        keep_firing_since=_ts(row.keep_firing_since),
    )


def _keyed(rule: AlertRule, results: Results) -> dict[str, tuple[dict[str, str], float]]:
    out: dict[str, tuple[dict[str, str], float]] = {}
    for sample_labels, value in results:
        labels = alert_labels(rule, sample_labels, value)
        out[fingerprint(labels)] = (labels, value)
    return out


def _apply(
    rule: AlertRule, rows: dict[str, RuleAlert], result: machine.Step, *, now: dt.datetime, writes: dict[str, list]
) -> None:
    for fp, active in result.active.items():
        row = rows.get(fp)
        if row is None:
            writes["create"].append(
                RuleAlert(
                    rule=rule,
                    fingerprint=fp,
                    labels=dict(active.labels),
                    state=active.state,
                    value=active.value,
                    active_at=_dt(active.active_at),
                    fired_at=_dt(active.fired_at),
                    last_true_at=_dt(active.last_true_at),
                    keep_firing_since=_dt(active.keep_firing_since),
                )
            )
            continue
        dirty = (row.state, _ts(row.fired_at), _ts(row.keep_firing_since)) != (
            active.state, active.fired_at, active.keep_firing_since,
        )  # fmt: skip
        if dirty:
            row.state, row.value = active.state, active.value
            row.fired_at, row.keep_firing_since = _dt(active.fired_at), _dt(active.keep_firing_since)
            row.last_true_at = _dt(active.last_true_at)
            writes["update"].append(row)
    writes["delete"].extend(row.pk for fp, row in rows.items() if fp not in result.active)


def _health_write(rules: list[AlertRule], *, now: dt.datetime, duration_ms: float) -> None:
    """One UPDATE per distinct (health, error) instead of a row-by-row bulk update: most rules share "ok"."""
    by_outcome: dict[tuple[str, str], list[int]] = {}
    for rule in rules:
        by_outcome.setdefault((rule.health, rule.last_error), []).append(rule.pk)
    for (health, error), ids in by_outcome.items():
        AlertRule.objects.filter(pk__in=ids).update(
            health=health, last_error=error, last_evaluated_at=now, last_duration_ms=duration_ms
        )


def rules_apply(
    *, rules: Iterable[AlertRule], results: dict[int, Results | Exception], now: dt.datetime, started: float
) -> EvaluationReport:
    """Write the outcome of one evaluation (``results`` from ``rule_results``): states, intake, health."""
    rules = sorted(rules, key=lambda r: r.pk)
    ids = [r.pk for r in rules]
    fired = resolved = errors = 0
    with transaction.atomic():
        locked = {r.pk: r for r in AlertRule.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        rows: dict[int, dict[str, RuleAlert]] = {}
        for row in RuleAlert.objects.filter(rule_id__in=list(locked)):
            rows.setdefault(row.rule_id, {})[row.fingerprint] = row
        writes: dict[str, list] = {"create": [], "update": [], "delete": []}
        items: list[AlertInput] = []
        health: list[AlertRule] = []
        for rule in rules:
            if rule.pk not in locked:
                continue  # deleted meanwhile
            outcome = results.get(rule.pk)
            current = locked[rule.pk]
            current.last_evaluated_at = now
            if isinstance(outcome, Exception) or outcome is None:
                errors += 1
                current.health = RuleHealth.ERROR
                current.last_error = str(outcome or "not evaluated")[:2000]
                health.append(current)
                continue
            current.health, current.last_error = RuleHealth.OK, ""
            health.append(current)
            mine = rows.get(rule.pk, {})
            result = machine.step(
                active={fp: _as_active(r) for fp, r in mine.items()},
                results=_keyed(current, outcome),
                now=now.timestamp(),
                for_seconds=current.for_seconds,
                keep_firing_for_seconds=current.keep_firing_for_seconds,
            )
            _apply(current, mine, result, now=now, writes=writes)
            for change in result.changes:
                items.append(_item(current, change, now=now))
                fired += change.kind == "fire"
                resolved += change.kind == "resolve"
        if writes["delete"]:
            RuleAlert.objects.filter(pk__in=writes["delete"]).delete()
        RuleAlert.objects.bulk_create(writes["create"], batch_size=500)
        RuleAlert.objects.bulk_update(
            writes["update"], ["state", "value", "fired_at", "keep_firing_since", "last_true_at"], batch_size=500
        )
        seconds = time.monotonic() - started
        _health_write(health, now=now, duration_ms=round(seconds * 1000, 3))
        if items:
            alerts_ingest(items=items, source=SOURCE, now=now)
    return EvaluationReport(rules=len(rules), errors=errors, fired=fired, resolved=resolved, seconds=seconds)


def rules_evaluate(*, now: dt.datetime, rule_ids: Iterable[int] | None = None) -> EvaluationReport:
    """Evaluate every enabled metric and log count rule (or those of ``rule_ids``) at ``now``, then resolve the
    log line rules' alerts with no match for their ``keep_firing_for_seconds`` (``log_line_expire``)."""
    started = time.monotonic()
    qs = AlertRule.objects.filter(enabled=True, kind__in=EVALUATED_KINDS)
    if rule_ids is not None:
        qs = qs.filter(pk__in=list(rule_ids))
    rules = list(qs.order_by("pk"))
    results = rule_results(rules=rules, now=now)
    report = rules_apply(rules=rules, results=results, now=now, started=started)
    expired = log_line_expire(now=now)
    if expired:
        report = replace(report, resolved=report.resolved + expired)
    if report.errors:
        logger.info("rules: %s of %s rules erroring", report.errors, report.rules)
    return report


def log_line_expire(*, now: dt.datetime) -> int:
    """Resolve the alerts of log line rules (raised at ingest, ``rules.services.immediate``) that no line has
    matched for the rule's ``keep_firing_for_seconds``: their rows are deleted and the resolutions go to the
    intake in one batch. Under a lock of those rules, re-checked, so a line matched meanwhile keeps its alert.
    Returns how many alerts were resolved."""

    def expired(last_true_at: dt.datetime, keep: int) -> bool:
        return last_true_at < now - dt.timedelta(seconds=keep)

    candidates = RuleAlert.objects.filter(rule__kind=RuleKind.LOG_LINE).values_list(
        "rule_id", "last_true_at", "rule__keep_firing_for_seconds"
    )
    due = sorted({rule_id for rule_id, last, keep in candidates if expired(last, keep)})
    if not due:
        return 0
    with transaction.atomic():
        locked = {r.pk: r for r in AlertRule.objects.select_for_update().filter(pk__in=due).order_by("pk")}
        rows = [
            row
            for row in RuleAlert.objects.filter(rule_id__in=list(locked)).order_by("pk")
            if expired(row.last_true_at, locked[row.rule_id].keep_firing_for_seconds)
        ]
        items = [
            _item(locked[row.rule_id], machine.Change("resolve", row.fingerprint, _as_active(row)), now=now)
            for row in rows
            if row.state == AlertState.FIRING
        ]
        RuleAlert.objects.filter(pk__in=[row.pk for row in rows]).delete()
        if items:
            alerts_ingest(items=items, source=SOURCE, now=now)
    return len(items)


def rule_evaluate_now(*, rule: AlertRule, now: dt.datetime) -> EvaluationReport:
    """Evaluate one rule now, as the periodic pass does. A disabled rule and a log line rule (it fires as lines
    arrive) have nothing to evaluate: ``ConflictError``."""
    if not rule.enabled:
        raise ConflictError("The rule is disabled; enable it to evaluate it.")
    if rule.kind == RuleKind.LOG_LINE:
        raise ConflictError("A log line rule fires as matching lines arrive; it has no evaluation to run.")
    return rules_evaluate(now=now, rule_ids=[rule.pk])


def rule_alerts_resolve(*, rule: AlertRule, now: dt.datetime) -> int:
    """Resolve a rule's firing alerts and drop its pending ones (the rule is disabled or deleted)."""
    rows = list(RuleAlert.objects.filter(rule=rule))
    items = [
        _item(rule, machine.Change("resolve", r.fingerprint, _as_active(r)), now=now)
        for r in rows
        if r.state == AlertState.FIRING
    ]
    RuleAlert.objects.filter(pk__in=[r.pk for r in rows]).delete()
    if items:
        alerts_ingest(items=items, source=SOURCE, now=now)
    return len(items)
