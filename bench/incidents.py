"""Incidents under load: the pages on-call engineers open during an incident, with a large history.

Data: 5,000 incidents over 12 months (10 timeline entries each), one long incident with 3,000 timeline entries
(a third of them Markdown notes) and a linked alert group with 2,000 events, 2,000 action items. gunicorn
(3 workers x 4 threads, as `make run`) on PostgreSQL; wrk with 4 connections, 15 s per endpoint (4 s with
--quick). Target: p95 under 300 ms for the list and the long incident's page.
"""

from __future__ import annotations

from bench.http_baseline import _session_cookie
from bench.support import gunicorn_stack, wrk

INCIDENTS = 5000
BIG_TIMELINE = 3000
GROUP_EVENTS = 2000


def seed() -> int:
    """Bulk-insert the dataset (run inside the stack by ``manage.py shell``); returns the long incident's id."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from alerts.models import AlertGroup, GroupEvent
    from incidents.models import ActionItem, Incident, IncidentAlertGroup, TimelineEntry
    from slo.models import Service

    rng = random.Random(6)
    now = timezone.now()
    services = list(Service.objects.all())
    rows = []
    for i in range(INCIDENTS):
        start = now - timedelta(minutes=rng.randint(60, 365 * 24 * 60))
        closed = i % 20 != 0
        rows.append(Incident(
            title=f"Bench incident {i}", severity=rng.choice(["sev1", "sev2", "sev3", "sev4"]),
            status="closed" if closed else rng.choice(["triage", "investigating", "monitoring"]),
            started_at=start, detected_at=start + timedelta(minutes=1),
            acknowledged_at=start + timedelta(minutes=rng.randint(1, 20)),
            mitigated_at=start + timedelta(minutes=rng.randint(20, 60)) if closed else None,
            resolved_at=start + timedelta(minutes=rng.randint(60, 240)) if closed else None,
            closed_at=start + timedelta(days=1) if closed else None,
            created_at=start, updated_at=start,
        ))  # fmt: skip
    incidents = Incident.objects.bulk_create(rows, batch_size=1000)
    links = Incident.services.through
    links.objects.bulk_create(
        [links(incident_id=inc.pk, service_id=rng.choice(services).pk) for inc in incidents], batch_size=2000
    )
    entries = [
        TimelineEntry(incident_id=inc.pk, at=inc.started_at + timedelta(minutes=k), kind="status", message=f"step {k}")
        for inc in incidents
        for k in range(10)
    ]
    TimelineEntry.objects.bulk_create(entries, batch_size=5000)
    big = incidents[0]
    Incident.objects.filter(pk=big.pk).update(
        status="investigating", resolved_at=None, closed_at=None, mitigated_at=None
    )
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                incident_id=big.pk, at=big.started_at + timedelta(seconds=k), kind="note" if k % 3 == 0 else "status",
                actor="bench", message=f"Note {k}: **bold** and `code` and [a link](https://example.com/{k})",
            )
            for k in range(BIG_TIMELINE)
        ],
        batch_size=5000,
    )  # fmt: skip
    group = AlertGroup.objects.create(
        group_key="bench", group_labels={"alertname": "Bench"}, created_at=now, updated_at=now
    )
    GroupEvent.objects.bulk_create(
        [GroupEvent(group=group, at=big.started_at + timedelta(seconds=k), kind="notified", message="trigger → default")
         for k in range(GROUP_EVENTS)], batch_size=5000,
    )  # fmt: skip
    IncidentAlertGroup.objects.create(incident=big, group=group, linked_at=now)
    items = []
    for i in range(2000):
        due = (now - timedelta(days=rng.randint(-30, 30))).date()
        items.append(
            ActionItem(incident_id=incidents[i].pk, title=f"Item {i}", due_date=due, created_at=now, updated_at=now)
        )
    ActionItem.objects.bulk_create(items, batch_size=2000)
    return big.pk


def run(*, quick: bool) -> dict:
    seconds = 4 if quick else 15
    connections = 4
    rows = []
    with gunicorn_stack(db_name="sre_bench_incidents", workers=3) as stack:
        stack.manage("seed_demo")
        out = stack.manage("shell", "-c", "from bench.incidents import seed; print('BIG', seed())")
        big = int(out.split("BIG")[-1].split()[0])
        token = stack.manage("create_api_token", "--user", "demo-viewer", "--scopes", "read").strip()
        cookie = _session_cookie(stack.url, "demo-responder", "sre-demo")
        session = {"Cookie": cookie}
        bearer = {"Authorization": f"Bearer {token}"}
        targets = [
            ("GET /incidents/ (list, open first)", "/incidents/", session),
            ("GET /incidents/?status=open&severity=sev1", "/incidents/?status=open&severity=sev1", session),
            (f"GET /incidents/{{id}}/ ({BIG_TIMELINE + GROUP_EVENTS:,} timeline rows)", f"/incidents/{big}/", session),
            ("GET /incidents/{id}/?kind=note (filtered)", f"/incidents/{big}/?kind=note", session),
            ("GET /api/v1/incidents/?page_size=100", "/api/v1/incidents/?page_size=100", bearer),
            ("GET /api/v1/incidents/{id}/timeline/", f"/api/v1/incidents/{big}/timeline/", bearer),
            ("GET /incidents/insights/ (12 months)", "/incidents/insights/", session),
            ("GET /incidents/action-items/", "/incidents/action-items/", session),
            ("GET / (Overview)", "/", session),
        ]
        for label, path, headers in targets:
            result = wrk(stack.url + path, seconds=seconds, connections=connections, headers=headers)
            rows.append([label, round(result.requests_per_second, 1), result.p50_ms, result.p95_ms, result.p99_ms,
                         result.requests, result.errors])  # fmt: skip
    return {
        "title": f"Incidents pages with {INCIDENTS:,} incidents: gunicorn (3x4) on PostgreSQL, wrk {connections} "
        f"connections, {seconds} s each",
        "columns": ["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors"],
        "rows": rows,
    }
