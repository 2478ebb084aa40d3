"""Auto-open policy: an alert group that fires and matches an enabled ``IncidentPolicy`` opens an incident,
or is linked to the open incident the same policy already opened for the same service (deduplicated).

The alerts app calls ``alert_group_hook(group_id=…, firing_labels=…)`` after a group flush commits
(``SRE["ALERT_GROUP_HOOKS"]``); the hook enqueues ``incidents.policy_evaluate`` when an enabled policy's matchers
match one of the group's firing alerts, instead of a task per group change that could never open anything. The
enabled policies' matchers are kept per process for a few seconds (dropped at once by ``policy_save`` and
``policy_delete`` in this process), so the pre-check usually costs no query. ``policy_sweep`` (beat)
re-evaluates recently changed firing groups, so neither a lost message nor a stale pre-check can lose an
incident."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from alerts.choices import AlertStatus, GroupState
from alerts.domain.matchers import MatcherError, matches_all, parse_matchers
from alerts.models import Alert, AlertGroup
from alerts.selectors import group_with_alerts
from incidents import metrics
from incidents.choices import OPEN_STATUSES, IncidentSource
from incidents.models import Incident, IncidentAlertGroup, IncidentPolicy
from slo.models import Service

logger = logging.getLogger(__name__)

SWEEP_LOOKBACK = timedelta(minutes=15)
MATCHERS_TTL = 5.0  # seconds a process trusts its copy of the enabled policies' matchers

_matchers_lock = threading.Lock()
_matchers: tuple[float, list] | None = None  # (expires at, monotonic clock; parsed matchers per policy)


def alert_group_hook(*, group_id: int, firing_labels: list[dict[str, str]] | None = None) -> None:
    """Called by the alerts app after a group changed (on commit), with the label sets of its firing alerts
    when the caller has them. Never raises into the alerts code."""
    from incidents.tasks import policy_evaluate_task  # cycle: incidents.tasks imports incidents.policy

    try:
        if firing_labels is None:
            firing_labels = _firing_labels(group_id)
        if _may_match(firing_labels):
            policy_evaluate_task.delay(group_id)
    except Exception:  # a broker or database hiccup must not break alert handling; the sweep catches up.
        logger.warning(
            "Could not enqueue incident policy evaluation for group %s; the sweep will", group_id, exc_info=True
        )


def _firing_labels(group_id: int) -> list[dict[str, str]]:

    return list(Alert.objects.filter(groups=group_id, status=AlertStatus.FIRING).values_list("labels", flat=True))


def enabled_matchers() -> list:
    """The parsed matchers of every enabled policy (invalid ones skipped), cached for ``MATCHERS_TTL``."""
    global _matchers

    now = time.monotonic()
    cached = _matchers
    if cached is not None and cached[0] > now:
        return cached[1]
    parsed = []
    for matchers in IncidentPolicy.objects.filter(enabled=True).values_list("matchers", flat=True):
        try:
            parsed.append(parse_matchers(matchers or []))
        except MatcherError:
            continue
    with _matchers_lock:
        _matchers = (now + MATCHERS_TTL, parsed)
    return parsed


def matchers_forget() -> None:
    """Drop this process's copy of the policies' matchers (every write of a policy calls this)."""
    global _matchers
    with _matchers_lock:
        _matchers = None


def _may_match(firing_labels: list[dict[str, str]]) -> bool:
    """Whether an enabled policy's matchers match a firing alert (tier and dedup are the task's business)."""
    if not firing_labels:
        return False
    policies = enabled_matchers()
    return any(matches_all(matchers, labels) for labels in firing_labels for matchers in policies)


def _matching(policy: IncidentPolicy, alerts: list, services: dict) -> tuple[bool, str]:
    """Whether a firing alert of the group matches the policy, and the service it is about."""
    try:
        matchers = parse_matchers(policy.matchers or [])
    except MatcherError:
        logger.warning("Policy %s has invalid matchers; skipped", policy.pk)
        return False, ""
    for alert in alerts:
        if not matches_all(matchers, alert.labels):
            continue
        service_name = alert.labels.get("service", "")
        if policy.max_service_tier is not None:
            service = services.get(service_name)
            if service is None or service.tier > policy.max_service_tier:
                continue
        return True, service_name
    return False, ""


def policy_evaluate(*, group_id: int, now: datetime) -> Incident | None:
    """Open or link an incident for a firing group if a policy matches; returns the incident (or None).

    Idempotent: a group already linked to an open incident is left alone; two workers racing on the same
    (policy, service) meet the partial unique constraint on ``dedup_key`` and the loser links instead."""
    # cycle: incidents.services.config imports incidents.policy (matchers_forget when a policy is saved)
    from incidents.services import incident_create, incident_link_group
    from incidents.services.incidents import group_prefill

    group = group_with_alerts(group_id=group_id)
    if group is None or group.state not in (GroupState.FIRING, GroupState.ACKNOWLEDGED):
        metrics.POLICY_EVALUATIONS.labels(outcome="not_firing").inc()
        return None
    if IncidentAlertGroup.objects.filter(group_id=group_id, incident__status__in=OPEN_STATUSES).exists():
        metrics.POLICY_EVALUATIONS.labels(outcome="already_linked").inc()
        return None
    firing = [a for a in group.alerts.all() if a.status == AlertStatus.FIRING and not a.silenced_by and not a.inhibited]
    if not firing:
        return None
    names = {a.labels.get("service", "") for a in firing} - {""}
    services = {s.name: s for s in Service.objects.filter(name__in=names)}
    for policy in IncidentPolicy.objects.filter(enabled=True).order_by("position", "pk"):
        matched, service_name = _matching(policy, firing, services)
        if not matched:
            continue
        dedup_key = f"policy:{policy.pk}:{service_name or group.group_key}"
        existing = Incident.objects.filter(dedup_key=dedup_key, status__in=OPEN_STATUSES).first()
        if existing is not None:
            incident_link_group(incident_id=existing.pk, group_id=group_id, actor="policy", now=now)
            metrics.POLICY_EVALUATIONS.labels(outcome="linked").inc()
            return existing
        prefill = group_prefill(group)
        try:
            with transaction.atomic():
                incident = incident_create(
                    title=prefill["title"],
                    summary=prefill["summary"] or f"Opened automatically by the policy “{policy.name}”.",
                    severity=policy.severity,
                    services=prefill["services"],
                    started_at=prefill["started_at"],
                    detected_at=prefill["detected_at"],
                    actor="policy",
                    now=now,
                    source=IncidentSource.POLICY,
                    dedup_key=dedup_key,
                    alert_group_ids=[group_id],
                )
        except IntegrityError:
            existing = Incident.objects.filter(dedup_key=dedup_key, status__in=OPEN_STATUSES).first()
            if existing is None:
                raise
            incident_link_group(incident_id=existing.pk, group_id=group_id, actor="policy", now=now)
            metrics.POLICY_EVALUATIONS.labels(outcome="linked").inc()
            return existing
        metrics.POLICY_EVALUATIONS.labels(outcome="opened").inc()
        logger.info("Policy %s opened incident %s for alert group %s", policy.pk, incident.pk, group_id)
        return incident
    metrics.POLICY_EVALUATIONS.labels(outcome="no_match").inc()
    return None


def policy_sweep(*, now: datetime) -> int:
    """Evaluate firing groups changed in the last minutes that no open incident holds (the slow path)."""
    ids = list(
        AlertGroup.objects.filter(state=GroupState.FIRING, updated_at__gte=now - SWEEP_LOOKBACK)
        .exclude(incident_links__incident__status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    opened = 0
    for group_id in ids:
        if policy_evaluate(group_id=group_id, now=now) is not None:
            opened += 1
    return opened
