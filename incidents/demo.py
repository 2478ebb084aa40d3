"""``incidents_demo_seed``: a resolved incident with a published postmortem and open action items, an open
incident, and a few past incidents so Insights has months to chart. Idempotent (skips if seeded)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from incidents.services.config import incident_defaults_ensure
from slo.models import Service
from statuspage.models import Component

RESOLVED_TITLE = "Checkout 5xx after release 2026.11.3"
OPEN_TITLE = "Search latency above 500 ms"
HISTORY = (  # (days ago, severity, service, minutes to ack, to mitigate, to resolve, title, public title, impact)
    (80, "sev3", "search", 9, 40, 95, "Search index lagging behind catalogue", "Search results out of date",
     "degraded_performance"),
    (62, "sev2", "payments-api", 3, 18, 44, "Card authorisations timing out",
     "Card payments failing for some customers", "partial_outage"),
    (45, "sev4", "notifications", 30, 120, 300, "Push notifications delayed", "Order notifications delayed",
     "degraded_performance"),
    (33, "sev1", "checkout", 2, 12, 35, "Checkout unavailable in EU", "Checkout unavailable in Europe",
     "major_outage"),
    (20, "sev2", "checkout", 4, 25, 70, "Cart totals wrong after price import", "Errors at checkout",
     "partial_outage"),
    (11, "sev3", "search", 6, 20, 48, "Search 5xx from one shard", "Search errors for some queries",
     "partial_outage"),
)  # fmt: skip
DEMO_TITLES = (RESOLVED_TITLE, OPEN_TITLE, *(row[6] for row in HISTORY))


def _user(name: str):
    return get_user_model().objects.filter(username=name).first()


def _services(*names: str) -> list[Service]:
    return list(Service.objects.filter(name__in=names))


def _components(service_names: tuple[str, ...]) -> list[Component]:
    return list(Component.objects.filter(services__name__in=service_names).distinct()[:3])


def _history(now: datetime) -> None:
    """Past incidents told to customers: acknowledged, a public update at each step, resolved, closed."""
    for days, severity, service, ack, mitigate, resolve, title, public_title, impact in HISTORY:
        t0 = now - timedelta(days=days, hours=days % 7 * 2)
        components = _components((service,))
        incident = services.incident_create(
            title=title,
            public_title=public_title,
            severity=severity,
            services=_services(service),
            components=[(c, impact) for c in components],
            started_at=t0,
            actor="demo-responder",
            now=t0 + timedelta(minutes=1),
        )
        pk = incident.pk
        services.incident_acknowledge(incident_id=pk, actor="demo-responder", now=t0 + timedelta(minutes=ack))
        services.status_update_post(
            incident_id=pk,
            body="We are investigating reports of problems with this service.",
            visibility="public",
            actor="demo-responder",
            now=t0 + timedelta(minutes=ack + 1),
        )
        services.timeline_note_add(
            incident_id=pk,
            body=f"Error ratio of `{service}` well above its SLO; paging the owning team.",
            actor="demo-responder",
            now=t0 + timedelta(minutes=ack + 2),
        )
        services.status_update_post(
            incident_id=pk,
            body="A fix has been applied and we are monitoring the results.",
            visibility="public",
            status="monitoring",
            actor="demo-responder",
            now=t0 + timedelta(minutes=mitigate),
        )
        services.status_update_post(  # the components keep the incident's impact: the days it coloured
            incident_id=pk,
            body="This incident has been resolved.",
            visibility="public",
            status="resolved",
            actor="demo-responder",
            now=t0 + timedelta(minutes=resolve),
        )
        services.incident_transition(
            incident_id=pk, target="closed", actor="demo-responder", now=t0 + timedelta(days=2)
        )


def _resolved(now: datetime) -> None:
    responder, admin = _user("demo-responder"), _user("demo-admin")
    t0 = now - timedelta(days=6, hours=3)
    names = ("checkout", "payments-api")
    components = _components(names)
    incident = services.incident_create(
        title=RESOLVED_TITLE,
        public_title="Some customers cannot complete checkout",
        summary="Release 2026.11.3 shipped a connection-pool setting that starved checkout of database connections.",
        severity="sev2",
        services=_services(*names),
        components=[(c, "partial_outage") for c in components],
        started_at=t0,
        detected_at=t0 + timedelta(minutes=3),
        actor="policy",
        now=t0 + timedelta(minutes=3),
    )
    pk = incident.pk
    services.incident_acknowledge(incident_id=pk, actor="demo-responder", user=responder, now=t0 + timedelta(minutes=6))
    if admin is not None:
        services.incident_set_roles(
            incident_id=pk, roles={"communications_lead": admin}, actor="demo-responder", now=t0 + timedelta(minutes=7)
        )
    services.status_update_post(
        incident_id=pk,
        body="Some customers cannot complete checkout. We are investigating.",
        visibility="public",
        actor="demo-admin",
        now=t0 + timedelta(minutes=9),
    )
    services.timeline_note_add(
        incident_id=pk,
        body="DB pool at **100%** since the deploy at 14:02; `max_connections` lowered from 50 to 5 in the release.",
        actor="demo-responder",
        now=t0 + timedelta(minutes=14),
    )
    services.incident_transition(
        incident_id=pk,
        target="identified",
        note="Pool size regression",
        actor="demo-responder",
        now=t0 + timedelta(minutes=15),
    )
    services.status_update_post(
        incident_id=pk,
        body="We found the cause and are rolling back the release.",
        visibility="public",
        components=[(c, "degraded_performance") for c in components],
        actor="demo-admin",
        now=t0 + timedelta(minutes=18),
    )
    services.incident_transition(
        incident_id=pk, target="monitoring", actor="demo-responder", now=t0 + timedelta(minutes=31)
    )
    services.status_update_post(
        incident_id=pk,
        body="Checkout works again; all payments went through.",
        visibility="public",
        status="resolved",
        actor="demo-admin",
        now=t0 + timedelta(minutes=52),
    )
    pm = services.postmortem_create(incident_id=pk, actor="demo-responder", now=t0 + timedelta(days=1))
    body = pm.body.replace(
        "- Trigger: the change or event that set it off.",
        "- Trigger: release 2026.11.3 set the checkout DB pool to 5 connections.",
    ).replace(
        "## What went well\n\n- ", "## What went well\n\n- The burn-rate page fired 3 minutes after impact began."
    )
    body = body.replace("## What went poorly\n\n- ", "## What went poorly\n\n- The config change was not reviewed.")
    body = body.replace("## Where we got lucky\n\n- ", "## Where we got lucky\n\n- It happened during low traffic.")
    services.postmortem_update(
        incident_id=pk, body=body, version=pm.version, actor="demo-responder", now=t0 + timedelta(days=1)
    )
    services.postmortem_transition(
        incident_id=pk, target="in_review", actor="demo-responder", now=t0 + timedelta(days=1)
    )
    services.postmortem_transition(incident_id=pk, target="published", actor="demo-admin", now=t0 + timedelta(days=2))
    today = timezone.localdate()
    items = (
        ("Validate pool settings in CI", responder, today - timedelta(days=2), "p1", "open"),
        ("Canary releases for checkout", admin, today + timedelta(days=14), "p2", "in_progress"),
        ("Alert on DB pool saturation", responder, today - timedelta(days=3), "p2", "done"),
    )
    for title, owner, due, priority, status in items:
        item = services.action_item_create(
            incident_id=pk, title=title, owner=owner, due_date=due, priority=priority, actor="demo-responder", now=now
        )
        if status != "open":
            services.action_item_update(item_id=item.pk, changes={"status": status}, actor="demo-responder", now=now)


def _open(now: datetime) -> None:
    t0 = now - timedelta(minutes=25)
    incident = services.incident_create(
        title=OPEN_TITLE,
        summary="p99 latency of search is above 500 ms for a fifth of requests.",
        severity="sev3",
        services=_services("search"),
        started_at=t0,
        actor="demo-responder",
        now=t0 + timedelta(minutes=2),
    )
    services.incident_acknowledge(
        incident_id=incident.pk, actor="demo-responder", user=_user("demo-responder"), now=t0 + timedelta(minutes=5)
    )
    services.timeline_note_add(
        incident_id=incident.pk,
        body="Index shard 3 is rebalancing.",
        actor="demo-responder",
        now=t0 + timedelta(minutes=10),
    )


def incidents_demo_outages() -> list[tuple[str, datetime, datetime]]:
    """``(service, started, mitigated)`` of every past demo incident: when its service failed (the demo
    history's traffic fails then too, so the SLO charts and the incidents tell the same story)."""
    out = []
    past = Incident.objects.filter(title__in=DEMO_TITLES, mitigated_at__isnull=False).prefetch_related("services")
    for incident in past.order_by("started_at"):
        for service in incident.services.all():
            out.append((service.name, incident.started_at, incident.mitigated_at))
    return out


def incidents_demo_seed(*, now: datetime | None = None) -> bool:
    """Seed the demo incidents once; returns False when they exist already."""
    now = now or timezone.now()
    incident_defaults_ensure()
    if Incident.objects.filter(title=RESOLVED_TITLE).exists():
        return False
    with transaction.atomic():
        _history(now)
        _resolved(now)
        _open(now)
    return True
