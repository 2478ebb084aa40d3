"""Reads of the releases app (and the contracts the slo pages use).

deployments_for_service(service_id=, start=, end=)  -> deployments of a service in [start, end], oldest first
release_markers(deployments=)                         -> chart markers for the SLO pages
deploy_gate(service=, now=)                           -> the gate of one service (a few queries)
deploy_gates(services=, now=)                         -> the gates of many services (the same few queries)
rules_for(slos=)                                      -> the budget policy in force per SLO (one query)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse

from releases.domain.burn import consumed_percent
from releases.domain.gate import Gate, OverrideView, SloBudget, gate_decide
from releases.domain.policy import DEFAULT_RULES, EXHAUSTED, BudgetRules, PolicyError, rules_parse
from releases.models import BudgetNotice, BudgetPolicy, Deployment, GateOverride
from slo.choices import DataState
from slo.models import SLO, Service

logger = logging.getLogger(__name__)


def policy_rules(policy: BudgetPolicy | None) -> BudgetRules:
    """The rules a stored policy says (the defaults without one). A row made invalid behind the services' back
    (the Django admin, SQL) falls back to the defaults, logged, rather than stopping every evaluation."""
    if policy is None:
        return DEFAULT_RULES
    try:
        return rules_parse(
            thresholds=policy.thresholds,
            freeze=policy.freeze_on_exhaustion,
            factor=Decimal(policy.release_burn_factor),
            watch_minutes=policy.release_watch_minutes,
            min_bad_events=policy.release_min_bad_events,
        )
    except PolicyError as exc:
        logger.warning("releases: budget policy %s is invalid (%s); the defaults apply", policy.pk, exc)
        return DEFAULT_RULES


def policies_of(*, service_ids: Iterable[int]) -> dict[tuple[int, int | None], BudgetPolicy]:
    """Policies of the services, keyed ``(service_id, slo_id or None)``: one query."""
    rows = BudgetPolicy.objects.filter(service_id__in=set(service_ids))
    return {(p.service_id, p.slo_id): p for p in rows}


def rules_for(*, slos: Iterable[SLO]) -> dict[int, BudgetRules]:
    """The rules in force per SLO id: its own policy, else its service's, else the defaults (one query)."""
    slos = list(slos)
    found = policies_of(service_ids={s.service_id for s in slos})
    return {s.pk: policy_rules(found.get((s.service_id, s.pk)) or found.get((s.service_id, None))) for s in slos}


def slo_consumed_percent(slo: SLO) -> Fraction | None:
    """Exact percent of the budget the SLO's last evaluation found consumed; None without data."""
    status = slo.status or {}
    if status.get("data_state") != DataState.OK:
        return None
    budget = status.get("error_budget") or {}
    return consumed_percent(bad=budget.get("bad"), total=budget.get("total_events"), target=status.get("target"))


def override_view(override: GateOverride) -> OverrideView:
    return OverrideView(
        id=override.pk,
        reason=override.reason,
        created_by=override.created_by.get_username() if override.created_by else "",
        created_at=override.created_at,
        expires_at=override.expires_at,
        revoked_at=override.revoked_at,
    )


def deploy_gates(*, services: Iterable[Service], now: dt.datetime) -> dict[int, Gate]:
    """The gate of each service: four queries whatever the number of services (SLOs, policies, open exhaustion
    notices, live overrides)."""
    services = list(services)
    ids = [s.pk for s in services]
    slos = list(SLO.objects.filter(service_id__in=ids, enabled=True).order_by("name"))
    rules = rules_for(slos=slos)
    since = dict(
        BudgetNotice.objects.filter(
            slo__in=slos, threshold=Decimal(int(EXHAUSTED)), cleared_at__isnull=True
        ).values_list("slo_id", "opened_at")
    )
    overrides: dict[int, list[OverrideView]] = {i: [] for i in ids}
    live = GateOverride.objects.filter(service_id__in=ids, revoked_at__isnull=True, expires_at__gt=now)
    for override in live.select_related("created_by"):
        overrides[override.service_id].append(override_view(override))
    budgets: dict[int, list[SloBudget]] = {i: [] for i in ids}
    for slo in slos:
        budgets[slo.service_id].append(
            SloBudget(
                slo_id=slo.pk,
                slo=slo.name,
                consumed_percent=slo_consumed_percent(slo),
                freeze=rules[slo.pk].freeze,
                since=since.get(slo.pk),
                observed_at=slo.status_at,
            )
        )
    return {i: gate_decide(budgets=budgets[i], overrides=overrides[i], now=now) for i in ids}


def deploy_gate(*, service: Service, now: dt.datetime) -> Gate:
    return deploy_gates(services=[service], now=now)[service.pk]


def service_by_name(name: str) -> Service | None:
    return Service.objects.filter(name=name).first()


def service_list() -> QuerySet[Service]:
    return Service.objects.order_by("name")


def service_get(*, service_id: int) -> Service | None:
    return Service.objects.filter(pk=service_id).first()


def slo_get(*, slo_id: int) -> SLO | None:
    """One SLO with its service."""
    return SLO.objects.select_related("service").filter(pk=slo_id).first()


def slos_of_service(*, service_id: int) -> list[SLO]:
    """The service's SLOs by name."""
    return list(SLO.objects.filter(service_id=service_id).order_by("name"))


def deployment_list(*, service_id: int | None = None, service_name: str = "") -> QuerySet[Deployment]:
    qs = Deployment.objects.select_related("service", "created_by", "token")
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    if service_name:
        qs = qs.filter(service__name=service_name)
    return qs.order_by("-at", "-pk")


def deployment_get(*, deployment_id: int) -> Deployment | None:
    return Deployment.objects.select_related("service", "created_by", "token").filter(pk=deployment_id).first()


def deployments_for_service(*, service_id: int, start: dt.datetime, end: dt.datetime) -> list[Deployment]:
    """Deployments of the service with ``start <= at <= end``, oldest first (at most 200: markers on a chart)."""
    qs = Deployment.objects.filter(service_id=service_id, at__gte=start, at__lte=end).select_related("service")
    return list(qs.order_by("-at", "-pk")[:200])[::-1]


def release_markers(*, deployments: Iterable[Deployment]) -> list[dict]:
    """One marker per deployment for the SLO charts: time, version, state and a link to the deployment."""
    return [
        {
            "x": d.at.isoformat(),
            "version": d.version,
            "state": d.watch_state,
            "href": reverse("releases:deployment", args=[d.pk]),
        }
        for d in deployments
    ]


def slo_page_releases(*, slo: SLO, start: dt.datetime, now: dt.datetime) -> dict:
    """What the SLO detail page shows of releases: the service's deployments in the chart's window (markers) and
    its deploy gate."""
    deployments = deployments_for_service(service_id=slo.service_id, start=start, end=now)
    return {
        "deployments": deployments[::-1][:20],
        "markers": release_markers(deployments=deployments),
        "gate": deploy_gate(service=slo.service, now=now),
        "gate_service": slo.service,
    }


def service_page_releases(*, service: Service, now: dt.datetime) -> dict:
    """What a service's page shows: its gate and its ten latest deployments."""
    return {
        "deployments": list(deployment_list(service_id=service.pk)[:10]),
        "gate": deploy_gate(service=service, now=now),
        "gate_service": service,
    }


def override_list(*, service_id: int | None = None, active_at: dt.datetime | None = None) -> QuerySet[GateOverride]:
    qs = GateOverride.objects.select_related("service", "created_by", "revoked_by")
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    if active_at is not None:
        qs = qs.filter(revoked_at__isnull=True, expires_at__gt=active_at)
    return qs.order_by("-created_at", "-pk")


def override_get(*, override_id: int) -> GateOverride | None:
    return GateOverride.objects.select_related("service").filter(pk=override_id).first()


def policy_of(*, service_id: int, slo_id: int | None) -> BudgetPolicy | None:
    """The SLO's own policy, or with ``slo_id`` None the service's own (not the one in force: no fallback)."""
    if slo_id is None:
        return BudgetPolicy.objects.filter(service_id=service_id, slo__isnull=True).first()
    return BudgetPolicy.objects.filter(slo_id=slo_id).first()


def policy_get(*, policy_id: int) -> BudgetPolicy | None:
    return BudgetPolicy.objects.select_related("service", "slo").filter(pk=policy_id).first()


def policy_list() -> QuerySet[BudgetPolicy]:
    return BudgetPolicy.objects.select_related("service", "slo").order_by("service__name", "slo__name", "pk")


def notice_list(*, service_id: int | None = None, open_only: bool = False) -> QuerySet[BudgetNotice]:
    qs = BudgetNotice.objects.select_related("slo", "slo__service")
    if service_id is not None:
        qs = qs.filter(slo__service_id=service_id)
    if open_only:
        qs = qs.filter(cleared_at__isnull=True)
    return qs.order_by("-opened_at", "-pk")


def previous_deployment(deployment: Deployment) -> Deployment | None:
    """The service's deployment before this one (what a rollback goes back to)."""
    earlier = Q(at__lt=deployment.at) | Q(at=deployment.at, pk__lt=deployment.pk)
    return Deployment.objects.filter(earlier, service_id=deployment.service_id).order_by("-at", "-pk").first()


def public_link(path: str) -> str:
    return settings.SRE["BASE_URL"].rstrip("/") + path
