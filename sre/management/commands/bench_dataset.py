"""``manage.py bench_dataset``: the page benchmark's data set (bench/pages.py), built with bulk inserts.

30 days of history: 100 services with 10 SLOs each (1,000 SLOs), their request counters as hour rollups (and minute
rollups for the last 6 hours, and for all 30 days on the services whose SLO pages the benchmark opens), SLO snapshots
every minute over the last day and every 15 minutes before, 500 open alert groups (plus resolved ones), 1,000
incidents with timelines, status updates, roles and services, status page components on the services and SLOs. A
real evaluation of every SLO at the end writes the SLOs' status and raises their burn alerts through the alerts app,
as the evaluator does every minute.

PostgreSQL only (the big tables are filled by ``INSERT ... SELECT generate_series``); refuses a database that has
SLOs already. Prints the ids the benchmark opens as one JSON line.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from alerts.models import Alert, AlertGroup, GroupEvent, Notification, Receiver, Route
from incidents.models import ActionItem, Incident, IncidentAlertGroup, Postmortem, StatusUpdate, TimelineEntry
from slo.domain.spec import policy_default
from slo.models import SLO, Service, SLOSnapshot
from slo.services import slo_evaluate_all
from sre.choices import Role
from sre.services import user_set_role
from statuspage.models import Component, ComponentGroup
from telemetry.domain.naming import series_key
from telemetry.models import HourRollup, MinuteRollup, Series

SERVICES = 100
SLOS_PER_SERVICE = 10
DAYS = 30
SNAPSHOT_EVERY = 15 * 60
DETAIL_SERVICES = 5  # services whose series get 30 days of minute rollups (their SLO pages are benchmarked)
OPEN_GROUPS = 500
RESOLVED_GROUPS = 1500
INCIDENTS = 1000
OPEN_INCIDENTS = 25
TARGETS = ("0.99", "0.995", "0.999", "0.9995", "0.9999", "0.95", "0.98", "0.999", "0.9990", "0.9975")
PASSWORD = "bench-pages"  # noqa: S105 - benchmark users on a throwaway database
NAME = "http_requests_total"
OPEN_STATES = ("investigating", "identified", "monitoring")


def _insert_rollups(table: str, *, series: list[tuple[int, float, bool]], start: int, end: int, step: int) -> None:
    """Counter increases per ``step`` seconds: ``rate`` per minute, the bad series 20x in one hour of 97 (a burst)
    and 30x over the last two hours on one service in 20 (burn alerts fire)."""
    ids = [s[0] for s in series]
    rates = [s[1] for s in series]
    hot = [s[2] for s in series]
    sql = f"""
        INSERT INTO {table} (series_id, start, increase, gauge, gauge_ts, samples)
        SELECT s.id, t,
               s.rate * (%s / 60.0)
               * (CASE WHEN s.rate < 50 AND ((t / 3600) + s.id) %% 97 = 0 THEN 20 ELSE 1 END)
               * (CASE WHEN s.hot AND t >= %s THEN 30 ELSE 1 END),
               NULL, NULL, %s
        FROM unnest(%s::bigint[], %s::float8[], %s::bool[]) AS s(id, rate, hot),
             generate_series(%s::bigint, %s::bigint, %s::bigint) AS t
    """  # noqa: S608 - the table is a model's own name; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [step, end - 7200, step // 60, ids, rates, hot, start, end, step])


class Command(BaseCommand):
    help = "Build the page benchmark's data set (PostgreSQL; an empty database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--snapshot-every", type=int, default=SNAPSHOT_EVERY, help="Seconds between snapshots older than a day."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_dataset fills its big tables with generate_series: PostgreSQL only.")
        if SLO.objects.exists():
            raise CommandError("This database has SLOs already: the benchmark builds its own from empty.")
        rng = random.Random(18)
        now = timezone.now().replace(second=0, microsecond=0)
        began = time.monotonic()
        step = {"start": began}

        def done(what: str) -> None:
            self.stderr.write(f"  {what}: {time.monotonic() - step['start']:.1f} s")
            step["start"] = time.monotonic()

        users = self._users()
        services, details = self._metrics(now=now)
        done("services, series, rollups")
        slos = self._slos(services=services, now=now, every=options["snapshot_every"], rng=rng)
        done("SLOs and snapshots")
        groups = self._alert_groups(services=services, now=now, rng=rng)
        done("alert groups")
        incidents = self._incidents(services=services, groups=groups, users=users, now=now, rng=rng)
        done("incidents")
        self._components(services=services, slos=slos)
        done("components")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        stats = slo_evaluate_all(now=now)
        done(f"evaluation ({stats})")
        detail_slos = [s.pk for s in slos if s.service_id in details][:20]
        open_groups = list(
            AlertGroup.objects.exclude(state="resolved").order_by("-updated_at").values_list("pk", flat=True)[:20]
        )
        self.stdout.write(
            json.dumps(
                {
                    "users": {"admin": "bench-admin", "viewer": "bench-viewer", "password": PASSWORD},
                    "slos": detail_slos,
                    "groups": open_groups,
                    "incidents": incidents[:20],
                    "seconds": round(time.monotonic() - began, 1),
                }
            )
        )

    def _users(self) -> dict[str, Any]:
        User = get_user_model()
        out = {}
        for role in (Role.ADMIN, Role.RESPONDER, Role.VIEWER):
            user = User.objects.create(username=f"bench-{role.value}", is_staff=role == Role.ADMIN)
            user.set_password(PASSWORD)
            user.save()
            user_set_role(user=user, role=role)
            out[role.value] = user
        return out

    def _metrics(self, *, now: dt.datetime) -> tuple[list[Service], set[int]]:
        services = Service.objects.bulk_create(
            Service(name=f"svc-{i:03d}", owner_team=f"team-{i % 12}", tier=1 + i % 3) for i in range(SERVICES)
        )
        rows = []
        for s in services:
            for code in ("200", "500"):
                labels = {"service": s.name, "code": code}
                rows.append(Series(name=NAME, key=series_key(NAME, labels), labels=labels))
        series = Series.objects.bulk_create(rows, batch_size=1000)
        by_service = {s.name: s for s in services}
        end = int(now.timestamp()) // 60 * 60
        start = end - DAYS * 86400
        hours, minutes, recent = [], [], []
        details = {s.pk for s in services[:DETAIL_SERVICES]}
        for i, row in enumerate(series):
            service = by_service[row.labels["service"]]
            good = row.labels["code"] == "200"
            rate = 600.0 + 37 * (i % 11) if good else 0.3 + 0.05 * (i % 7)
            hot = (not good) and services.index(service) % 20 == 0
            item = (row.pk, rate, hot)
            hours.append(item)
            (minutes if service.pk in details else recent).append(item)
        _insert_rollups(HourRollup._meta.db_table, series=hours, start=start // 3600 * 3600, end=end - 3600, step=3600)
        _insert_rollups(MinuteRollup._meta.db_table, series=minutes, start=start, end=end - 60, step=60)
        _insert_rollups(MinuteRollup._meta.db_table, series=recent, start=end - 6 * 3600, end=end - 60, step=60)
        return services, details

    def _slos(self, *, services: list[Service], now: dt.datetime, every: int, rng: random.Random) -> list[SLO]:
        policy = policy_default()
        rows = []
        for s in services:
            selector_bad = f'{NAME}{{service="{s.name}", code=~"5.."}}'
            selector_total = f'{NAME}{{service="{s.name}"}}'
            for j in range(SLOS_PER_SERVICE):
                rows.append(
                    SLO(
                        service=s,
                        name=f"availability-{j}",
                        display_name=f"{s.name} availability {j}",
                        target=TARGETS[j],
                        sli_kind="ratio",
                        sli={"bad": selector_bad, "total": selector_total},
                        alert_policy=policy,
                    )
                )
        slos = SLO.objects.bulk_create(rows, batch_size=1000)
        # As the evaluator writes them: one a minute over the last day (the list's sparklines read those), and at
        # ``every`` seconds before that (a month at one a minute would be 43 million rows to build).
        recent = int(now.timestamp()) // 60 * 60 - 60
        end = recent - 86400
        start = end - DAYS * 86400
        ids = [s.pk for s in slos]
        slopes = [rng.uniform(0.05, 1.3) for _ in slos]
        table = SLOSnapshot._meta.db_table
        sql = f"""
            INSERT INTO {table} (slo_id, at, data_state, error, sli, bad, total, remaining_ratio,
                time_to_exhaustion, burn_rates, firing)
            SELECT s.id, to_timestamp(t), 'ok', '', 0.9995, 20.0 * (t - %s) / 3600, 40000.0 * (t - %s) / 3600,
                   greatest(-0.5, 1 - s.k * (t - %s) / %s::float8), NULL,
                   jsonb_build_object('5m', 0.4, '1h', 0.5, '6h', 0.6, '3d', 0.5), '[]'::jsonb
            FROM unnest(%s::bigint[], %s::float8[]) AS s(id, k),
                 generate_series(%s::bigint, %s::bigint, %s::bigint) AS t
        """  # noqa: S608 - the table is a model's own name; values are parameters
        with connection.cursor() as cursor:
            for chunk in range(0, len(ids), 100):
                some_ids, some_slopes = ids[chunk : chunk + 100], slopes[chunk : chunk + 100]
                cursor.execute(sql, [start, start, start, DAYS * 86400, some_ids, some_slopes, start, end, every])
                cursor.execute(sql, [start, start, start, DAYS * 86400, some_ids, some_slopes, end + 60, recent, 60])
        return slos

    def _alert_groups(self, *, services: list[Service], now: dt.datetime, rng: random.Random) -> list[AlertGroup]:
        receiver = Receiver.objects.create(name="bench-ledger")
        route = Route.objects.create(name="root", receiver=receiver, group_by=["alertname", "service"])
        names = ("HighErrorRate", "HighLatency", "DiskFilling", "PodCrashLooping", "QueueBacklog", "CertExpiring")
        groups, alerts, links, events, notes = [], [], [], [], []
        for n in range(OPEN_GROUPS + RESOLVED_GROUPS):
            open_ = n < OPEN_GROUPS
            service = services[n % len(services)].name
            alertname = names[n % len(names)]
            started = now - dt.timedelta(minutes=rng.randint(2, 60 * 24 * (3 if open_ else DAYS)))
            state = ("firing", "firing", "acknowledged", "silenced")[n % 4] if open_ else "resolved"
            group = AlertGroup(
                group_key=uuid.uuid4().hex,
                route=route,
                receiver=receiver,
                group_labels={"alertname": alertname, "service": service},
                state=state,
                created_at=started,
                updated_at=started + dt.timedelta(minutes=rng.randint(0, 30)),
                acknowledged_at=started + dt.timedelta(minutes=3) if state == "acknowledged" else None,
                acknowledged_by="bench-responder" if state == "acknowledged" else "",
                resolved_at=None if open_ else started + dt.timedelta(minutes=rng.randint(5, 300)),
                last_notified_at=started + dt.timedelta(seconds=30),
            )
            groups.append(group)
            for k in range(1 + n % 3):
                labels = {
                    "alertname": alertname,
                    "service": service,
                    "severity": ("critical", "warning", "info")[n % 3],
                    "instance": f"{service}-{k}:9100",
                }
                alerts.append(
                    Alert(
                        fingerprint=uuid.uuid4().hex[:16],
                        labels=labels,
                        annotations={"summary": f"{alertname} on {service} ({labels['instance']})"},
                        status="firing" if open_ else "resolved",
                        starts_at=started,
                        ends_at=None if open_ else group.resolved_at,
                        source="alertmanager",
                        received_at=started,
                        updated_at=group.updated_at,
                    )
                )
                links.append((len(groups) - 1, len(alerts) - 1))
        AlertGroup.objects.bulk_create(groups, batch_size=1000)
        Alert.objects.bulk_create(alerts, batch_size=1000)
        Through = AlertGroup.alerts.through
        Through.objects.bulk_create(
            [Through(alertgroup_id=groups[g].pk, alert_id=alerts[a].pk) for g, a in links], batch_size=2000
        )
        for group in groups:
            events.append(GroupEvent(group=group, at=group.created_at, kind="created", message="Group created"))
            events.append(GroupEvent(group=group, at=group.last_notified_at, kind="notified", message="trigger"))
            notes.append(
                Notification(
                    receiver=receiver,
                    group=group,
                    event="trigger",
                    dedup_key=group.group_key,
                    payload={"group_labels": group.group_labels},
                    payload_hash=uuid.uuid4().hex,
                    state="delivered",
                    next_attempt_at=group.last_notified_at,
                    created_at=group.last_notified_at,
                    delivered_at=group.last_notified_at,
                )
            )
        GroupEvent.objects.bulk_create(events, batch_size=2000)
        Notification.objects.bulk_create(notes, batch_size=1000)
        return groups

    def _incidents(
        self,
        *,
        services: list[Service],
        groups: list[AlertGroup],
        users: dict[str, Any],
        now: dt.datetime,
        rng: random.Random,
    ) -> list[int]:
        rows = []
        for n in range(INCIDENTS):
            open_ = n < OPEN_INCIDENTS
            # open ones started in the last two days; the others any time in the month
            started = now - dt.timedelta(minutes=rng.randint(10, 60 * (48 if open_ else 24 * DAYS)))
            resolved = None if open_ else started + dt.timedelta(minutes=rng.randint(15, 600))
            rows.append(
                Incident(
                    title=f"Elevated errors on {services[n % len(services)].name} #{n}",
                    summary="Requests failed with 5xx after a configuration change.",
                    severity=("sev1", "sev2", "sev3", "sev4")[n % 4],
                    status=("investigating", "identified", "monitoring")[n % 3]
                    if open_
                    else ("resolved", "closed")[n % 2],
                    started_at=started,
                    detected_at=started + dt.timedelta(minutes=2),
                    acknowledged_at=started + dt.timedelta(minutes=4),
                    resolved_at=resolved,
                    closed_at=resolved + dt.timedelta(hours=2) if resolved and n % 2 else None,
                    created_at=started,
                    updated_at=resolved or started,
                    created_by="bench-responder",
                    commander=users["responder"],
                    communications_lead=users["admin"] if n % 2 else None,
                )
            )
        incidents = Incident.objects.bulk_create(rows, batch_size=1000)
        timeline, updates, svc_links, group_links, postmortems, items = [], [], [], [], [], []
        SvcThrough = Incident.services.through
        for n, incident in enumerate(incidents):
            at = incident.started_at
            timeline.append(TimelineEntry(incident=incident, at=at, kind="created", actor="bench-responder"))
            for k in range(8):
                at += dt.timedelta(minutes=rng.randint(1, 20))
                kind = ("note", "status", "alert_fired", "note", "update", "note", "acknowledge", "note")[k]
                timeline.append(
                    TimelineEntry(
                        incident=incident, at=at, kind=kind, actor="bench-responder", message=f"Step {k}: checked."
                    )
                )
            for k in range(3):
                updates.append(
                    StatusUpdate(
                        incident=incident,
                        visibility="public" if k != 1 else "internal",
                        status=("investigating", "identified", "monitoring")[k],
                        public_status=("investigating", "identified", "monitoring")[k],
                        body=f"Update {k}: we are looking into elevated errors.",
                        created_at=incident.started_at + dt.timedelta(minutes=10 * (k + 1)),
                        created_by="bench-responder",
                    )
                )
            svc_links.append(SvcThrough(incident_id=incident.pk, service_id=services[n % len(services)].pk))
            if n < len(groups) and n % 3 == 0:
                group_links.append(
                    IncidentAlertGroup(incident=incident, group=groups[n], linked_at=incident.started_at)
                )
            if incident.resolved_at and n % 4 == 0:
                postmortems.append(
                    Postmortem(
                        incident=incident,
                        body="## Summary\n\nA bad deploy.",
                        created_at=incident.resolved_at,
                        updated_at=incident.resolved_at,
                    )
                )
                items.append(
                    ActionItem(
                        incident=incident,
                        title="Add a canary stage",
                        due_date=(now - dt.timedelta(days=n % 20 - 5)).date(),
                        created_at=incident.resolved_at,
                        updated_at=incident.resolved_at,
                    )
                )
        TimelineEntry.objects.bulk_create(timeline, batch_size=2000)
        StatusUpdate.objects.bulk_create(updates, batch_size=2000)
        SvcThrough.objects.bulk_create(svc_links, batch_size=2000)
        IncidentAlertGroup.objects.bulk_create(group_links, batch_size=2000)
        Postmortem.objects.bulk_create(postmortems, batch_size=1000)
        ActionItem.objects.bulk_create(items, batch_size=1000)
        return [i.pk for i in incidents[:10]] + [i.pk for i in incidents[OPEN_INCIDENTS : OPEN_INCIDENTS + 10]]

    @transaction.atomic
    def _components(self, *, services: list[Service], slos: list[SLO]) -> None:
        groups = [ComponentGroup.objects.create(name=name, position=i) for i, name in enumerate(("Web", "API", "Data"))]
        first_slo = {}
        for s in slos:
            first_slo.setdefault(s.service_id, s)
        for i, service in enumerate(services[:30]):
            component = Component.objects.create(
                name=f"Component {service.name}",
                group=groups[i % 3],
                position=i,
                status_from_slo_burn=True,
                status="degraded_performance" if i % 10 == 0 else "operational",
            )
            component.services.add(service)
            component.slos.add(first_slo[service.pk])
