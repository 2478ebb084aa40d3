"""Deployments: recording a release, watching its burn, and the rollback webhook it may call, once.

- ``deployment_record``: one write path for a deployment (API, page, demo); freezes the watch (which SLOs, their
  factor, watch minutes and minimum of bad events) on the row.
- ``deployments_watch``: for each deployment under watch, counts each watched SLO's events since the deployment
  (``releases.domain.burn``); a burn over the factor fires ``ReleaseBurn`` once, and, when the service's policy
  has a rollback webhook, queues its call on commit.
- ``deployment_rollback``: the call itself, at most once: the row is claimed under a lock (``pending`` →
  ``sending``) before the request, so a task run twice, or a worker that died mid-call, never calls twice; the
  outcome (status code or error) is recorded on the row.
"""

from __future__ import annotations

import datetime as dt
import logging
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import requests
from django.db import IntegrityError, transaction

from alerts.senders import TargetNotAllowed, send_webhook
from alerts.services import AlertInput, alerts_ingest
from releases.choices import RollbackState, WatchState
from releases.domain.burn import release_burn, watch_end, watch_over, watch_range
from releases.models import BudgetPolicy, Deployment
from releases.selectors import previous_deployment, public_link, rules_for
from slo.domain.exact import decimal_str, exact
from slo.models import SLO, Service
from slo.selectors import slo_range_counts
from sre.celery import app
from sre.domain.links import http_url
from sre.errors import ConflictError, InvalidInputError

logger = logging.getLogger(__name__)

ALERT_NAME = "ReleaseBurn"
SOURCE = "releases"
MAX_VERSION = 200
MAX_DESCRIPTION = 10_000
MAX_AGE = dt.timedelta(days=365)
MAX_AHEAD = dt.timedelta(minutes=10)
WEBHOOK_TIMEOUT = 10.0
WATCH_BATCH = 500


def _invalid(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"Invalid deployment: {field}: {message}", fields={field: [message]})


def watch_snapshot(*, service: Service) -> dict:
    """The watch of a deployment of ``service``, frozen now: each enabled SLO with the rules in force for it."""
    slos = list(SLO.objects.filter(service=service, enabled=True).order_by("pk"))
    rules = rules_for(slos=slos)
    return {
        "slos": [
            {
                "id": slo.pk,
                "name": slo.name,
                "target": decimal_str(exact(slo.target)),
                "factor": decimal_str(rules[slo.pk].factor),
                "watch_minutes": rules[slo.pk].watch_minutes,
                "min_bad_events": rules[slo.pk].min_bad_events,
            }
            for slo in slos
        ]
    }


def deployment_record(
    *,
    service: Service,
    version: Any,
    at: Any = None,
    url: Any = "",
    description: Any = "",
    user: Any = None,
    token: Any = None,
    idempotency_key: Any = "",
    now: dt.datetime,
) -> Deployment:
    """Record a release of ``service``: ``version`` (1-200 characters), ``at`` (default now; within the last year
    and at most 10 minutes ahead), an http(s) ``url`` and a ``description`` (both optional).

    Raises ``InvalidInputError`` naming the field; nothing is saved then. A deployment recorded after its watch
    window ended is stored as not watched (a late record never triggers a rollback).

    With an ``idempotency_key`` (CI's run id, say), a second call with the same key for the same service returns
    the deployment the first one recorded (its ``created_at`` is then earlier than ``now``) and records nothing;
    the same key with another version is a ``ConflictError``."""
    if not isinstance(version, str) or not version.strip() or len(version.strip()) > MAX_VERSION:
        raise _invalid("version", f"1 to {MAX_VERSION} characters.")
    at = now if at is None else at
    if not isinstance(at, dt.datetime) or at.tzinfo is None:
        raise _invalid("at", "A date and time with its time zone.")
    if at > now + MAX_AHEAD:
        raise _invalid("at", "At most 10 minutes in the future.")
    if at < now - MAX_AGE:
        raise _invalid("at", "Within the last 365 days.")
    url = url or ""
    if not isinstance(url, str) or len(url) > 500 or (url and not http_url(url)):
        raise _invalid("url", "An absolute http:// or https:// URL of at most 500 characters.")
    description = description or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise _invalid("description", f"Text of at most {MAX_DESCRIPTION} characters.")
    key = idempotency_key or ""
    if not isinstance(key, str) or len(key) > 100 or not key.isprintable():
        raise _invalid("idempotency_key", "Printable text of at most 100 characters.")
    if key:
        first = _replayed(service=service, key=key, version=version.strip())
        if first is not None:
            return first
    policy = watch_snapshot(service=service)
    minutes = max((s["watch_minutes"] for s in policy["slos"]), default=0)
    until = watch_end(at=at, watch_minutes=minutes)
    state = WatchState.WATCHING if policy["slos"] and now < until else WatchState.UNWATCHED
    fields = {
        "service": service,
        "version": version.strip(),
        "at": at,
        "url": url,
        "description": description,
        "created_by": user if getattr(user, "is_authenticated", False) else None,
        "token": token,
        "created_at": now,
        "watch_state": state,
        "watch_until": until,
        "watch_policy": policy,
        "idempotency_key": key,
    }
    try:
        with transaction.atomic():
            return Deployment.objects.create(**fields)
    except IntegrityError:
        first = _replayed(service=service, key=key, version=fields["version"]) if key else None
        if first is None:
            raise
        return first  # a concurrent call with the same key recorded it first


def _replayed(*, service: Service, key: str, version: str) -> Deployment | None:
    """The deployment recorded earlier under ``key`` for ``service``, or None; another version is a conflict."""
    first = Deployment.objects.filter(service=service, idempotency_key=key).first()
    if first is not None and first.version != version:
        message = f"Idempotency key {key!r} already recorded version {first.version!r} of {service.name}."
        raise ConflictError(message, fields={"idempotency_key": [message]})
    return first


# --- the watch ------------------------------------------------------------------------------------------------


def _burn_check(deployment: Deployment, *, slos: dict[int, SLO], now: dt.datetime) -> tuple[dict | None, list]:
    """(the worst burn over its factor, or None; every SLO's numbers) for one deployment now. Events are counted
    once per distinct range (SLOs watched for the same minutes share one counting pass)."""
    watched = [w for w in deployment.watch_policy.get("slos", []) if w["id"] in slos]
    ranges: dict[tuple[dt.datetime, dt.datetime], list[dict]] = {}
    for item in watched:
        span = watch_range(at=deployment.at, watch_minutes=item["watch_minutes"], now=now)
        if span is not None:
            ranges.setdefault(span, []).append(item)
    numbers, worst = [], None
    for (start, end), items in ranges.items():
        counts = slo_range_counts(slos=[slos[i["id"]] for i in items], start=start, end=end)
        for item in items:
            found = counts.get(item["id"])
            factor = exact(item["factor"])
            verdict = release_burn(
                counts=found, target=exact(item["target"]), factor=factor, min_bad_events=item["min_bad_events"]
            )
            entry = {
                "slo": item["name"],
                "slo_id": item["id"],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "bad": None if found is None else float(found.bad),
                "total": None if found is None else float(found.total),
                "target": item["target"],
                "factor": item["factor"],
                "min_bad_events": item["min_bad_events"],
                "burn_rate": None if verdict.burn_rate is None else float(verdict.burn_rate),
                "fires": verdict.fires,
                "reason": verdict.reason,
            }
            numbers.append(entry)
            rate = verdict.burn_rate  # set whenever the verdict fires
            if verdict.fires and rate is not None and (worst is None or rate / factor > worst["_over"]):
                worst = {**entry, "_over": rate / factor}
    if worst is not None:
        worst.pop("_over")
    return worst, numbers


def _labels(deployment: Deployment, slo_name: str) -> dict[str, str]:
    labels = {
        "alertname": ALERT_NAME,
        "service": deployment.service.name,
        "slo": slo_name,
        "version": deployment.version[:200],
        "severity": "critical",
    }
    if deployment.service.owner_team:
        labels["team"] = deployment.service.owner_team
    return labels


def _annotations(deployment: Deployment, worst: dict, *, webhook: bool) -> dict[str, str]:
    rate = Fraction(worst["burn_rate"]) if worst["burn_rate"] is not None else Fraction(0)
    return {
        "summary": (
            f"Release {deployment.version} of {deployment.service.name} burns {worst['slo']}'s budget at "
            f"{float(rate):.1f}x, over the {worst['factor']}x allowed after a deployment"
        ),
        "description": (
            f"burn rate = (bad / total) / (1 - target) = ({worst['bad']:g} / {worst['total']:g}) / "
            f"(1 - {worst['target']}) = {float(rate):.4g} from {worst['start']} to {worst['end']} "
            f"(at least {worst['min_bad_events']} bad events needed)."
        ),
        "burn_rate": f"{float(rate):.6g}",
        "factor": str(worst["factor"]),
        "bad": f"{worst['bad']:g}",
        "total": f"{worst['total']:g}",
        "target": str(worst["target"]),
        "deployed_at": deployment.at.isoformat(),
        "release_url": deployment.url,
        "rollback": "the rollback webhook is called" if webhook else "no rollback webhook is configured",
    }


def _webhook_configured(service_id: int) -> bool:
    policy = BudgetPolicy.objects.filter(service_id=service_id, slo__isnull=True).first()
    return bool(policy and policy.rollback_webhook_url)


def deployments_watch(*, now: dt.datetime) -> dict:
    """Check every deployment under watch; fire ``ReleaseBurn`` once for a release burning over its factor, close
    watches that are over (resolving their alert). Rows are locked and re-checked before any change, so a run
    twice (or two at once) fires and queues nothing twice."""
    stats = {"checked": 0, "fired": 0, "closed": 0}
    due = list(
        Deployment.objects.select_related("service")
        .filter(watch_state__in=[WatchState.WATCHING, WatchState.BURNING], at__lte=now)
        .order_by("pk")[:WATCH_BATCH]
    )
    ids = {w["id"] for d in due if d.watch_state == WatchState.WATCHING for w in d.watch_policy.get("slos", [])}
    slos = {s.pk: s for s in SLO.objects.filter(pk__in=ids).select_related("service")}
    for deployment in due:
        over = watch_over(watch_until=deployment.watch_until, now=now)
        if deployment.watch_state == WatchState.BURNING:
            if over:
                stats["closed"] += _close(deployment, state=WatchState.BURNED, now=now)
            continue
        stats["checked"] += 1
        worst, numbers = _burn_check(deployment, slos=slos, now=now)
        if worst is not None:
            stats["fired"] += _fire(deployment, worst=worst, numbers=numbers, now=now)
        elif over:
            stats["closed"] += _close(deployment, state=WatchState.CLEAN, now=now, numbers=numbers)
    return stats


def _fire(deployment: Deployment, *, worst: dict, numbers: list, now: dt.datetime) -> int:
    with transaction.atomic():
        row = Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
        if row is None or row.watch_state != WatchState.WATCHING or row.release_burn_at is not None:
            return 0
        webhook = _webhook_configured(row.service_id)
        row.service = deployment.service
        labels = _labels(row, worst["slo"])
        row.watch_state = WatchState.BURNING
        row.release_burn_at = now
        row.release_burn = {"worst": worst, "slos": numbers, "labels": labels}
        row.rollback_state = RollbackState.PENDING if webhook else RollbackState.NONE
        row.save(update_fields=["watch_state", "release_burn_at", "release_burn", "rollback_state"])
        alerts_ingest(
            items=[
                AlertInput(
                    labels=labels,
                    annotations=_annotations(row, worst, webhook=webhook),
                    generator_url=public_link(f"/releases/deployments/{row.pk}/"),
                )
            ],
            source=SOURCE,
            now=now,
        )
        if webhook:
            rollback_queue(row.pk)
    logger.info("releases: ReleaseBurn for deployment %s (%s), webhook=%s", row.pk, worst["slo"], webhook)
    return 1


def _close(deployment: Deployment, *, state: str, now: dt.datetime, numbers: list | None = None) -> int:
    with transaction.atomic():
        row = Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
        if row is None or row.watch_state not in (WatchState.WATCHING, WatchState.BURNING):
            return 0
        was_burning = row.watch_state == WatchState.BURNING
        row.watch_state = state
        fields = ["watch_state"]
        if numbers is not None and not was_burning:
            row.release_burn = {"slos": numbers}
            fields.append("release_burn")
        row.save(update_fields=fields)
        if was_burning and row.release_burn.get("labels"):
            summary = f"Release {row.version} of {deployment.service.name}: the watch after the deployment is over"
            alerts_ingest(
                items=[
                    AlertInput(labels=row.release_burn["labels"], annotations={"summary": summary}, status="resolved")
                ],
                source=SOURCE,
                now=now,
            )
    logger.info("releases: watch of deployment %s closed as %s", deployment.pk, state)
    return 1


# --- the rollback webhook ------------------------------------------------------------------------------------

REQUEUE_AFTER = dt.timedelta(minutes=1)


def rollback_queue(deployment_id: int) -> None:
    """Queue the rollback call after commit. A lost message is re-queued by ``rollbacks_requeue``; the call
    claims its row first, so queueing twice never calls twice."""

    def send() -> None:
        try:
            app.send_task("releases.rollback", args=[deployment_id])
        except Exception:  # any broker failure: the next evaluation re-queues it
            logger.warning("releases: could not queue the rollback of deployment %s", deployment_id, exc_info=True)

    transaction.on_commit(send, robust=True)


def rollbacks_requeue(*, now: dt.datetime) -> int:
    """Queue again the rollback calls still pending a minute after their burn fired (a lost task message)."""
    ids = list(
        Deployment.objects.filter(
            rollback_state=RollbackState.PENDING, release_burn_at__lt=now - REQUEUE_AFTER
        ).values_list("pk", flat=True)[:100]
    )
    for pk in ids:
        rollback_queue(pk)
    return len(ids)


def rollback_payload(deployment: Deployment, *, now: dt.datetime) -> dict:
    """What the rollback webhook receives (signed, ``X-SRE-Signature: sha256=<HMAC-SHA256(body, secret)>``)."""
    previous = previous_deployment(deployment)
    return {
        "event": "release_burn",
        "deployment": {
            "id": deployment.pk,
            "service": deployment.service.name,
            "version": deployment.version,
            "at": deployment.at.isoformat(),
            "url": deployment.url,
            "description": deployment.description,
        },
        "previous_version": previous.version if previous else None,
        "release_burn": deployment.release_burn.get("worst", {}),
        "fired_at": deployment.release_burn_at.isoformat() if deployment.release_burn_at else None,
        "link": public_link(f"/releases/deployments/{deployment.pk}/"),
        "sent_at": now.isoformat(),
    }


def deployment_rollback(*, deployment_id: int, now: dt.datetime) -> str:
    """Call the service's rollback webhook for a deployment whose release burned, at most once.

    Claims the row under a lock (``pending`` → ``sending``, ``rollback_attempted_at``) and commits before the
    request; a second run finds it claimed and returns. The outcome is recorded: ``delivered`` (2xx) or ``failed``
    with the status code or the error (a refused target, a timeout). Never retried: a rollback sent twice could
    roll back twice; a failure is on the deployment's page for a person to act on."""
    with transaction.atomic():
        row = Deployment.objects.select_for_update().select_related("service").filter(pk=deployment_id).first()
        if row is None:
            logger.info("releases: deployment %s is gone; no rollback call", deployment_id)
            return "gone"
        if row.rollback_state != RollbackState.PENDING:
            return f"already {row.rollback_state}"
        policy = BudgetPolicy.objects.filter(service_id=row.service_id, slo__isnull=True).first()
        if policy is None or not policy.rollback_webhook_url:
            row.rollback_state = RollbackState.NONE
            row.rollback_error = "No rollback webhook is configured any more."
            row.save(update_fields=["rollback_state", "rollback_error"])
            return "no webhook"
        row.rollback_state = RollbackState.SENDING
        row.rollback_attempted_at = now
        row.save(update_fields=["rollback_state", "rollback_attempted_at"])
        target = SimpleNamespace(
            url=policy.rollback_webhook_url, secret=policy.rollback_webhook_secret, timeout_seconds=WEBHOOK_TIMEOUT
        )
        payload = rollback_payload(row, now=now)
    status, error = None, ""
    try:
        sent = send_webhook(target, payload=payload)
        status, error = sent.status, sent.error
        ok = sent.ok
    except (TargetNotAllowed, requests.RequestException, ValueError, UnicodeError) as exc:
        ok, error = False, f"target not allowed: {exc}" if isinstance(exc, TargetNotAllowed) else str(exc)
    Deployment.objects.filter(pk=deployment_id, rollback_state=RollbackState.SENDING).update(
        rollback_state=RollbackState.DELIVERED if ok else RollbackState.FAILED,
        rollback_status_code=status,
        rollback_error=(error or "")[:2000],
        rollback_finished_at=now,
    )
    logger.info("releases: rollback webhook of deployment %s: %s", deployment_id, "delivered" if ok else error)
    return "delivered" if ok else "failed"
