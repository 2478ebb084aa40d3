"""Query-count bounds on the main pages, with 30 rows of each kind so that a query per row (N+1) would show.

Each page is opened as an admin and as a viewer (their pages differ: actions, forms). The bounds are what the pages
take today plus a small margin; a page that starts querying per SLO, group, incident or component exceeds them by
about 30. Timing is bench/pages.py's business, not this file's.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from alerts.models import Alert, AlertGroup, GroupEvent, Notification, Receiver, Route
from incidents.models import Incident, IncidentAlertGroup, StatusUpdate, TimelineEntry
from slo.models import SLOSnapshot
from statuspage.models import Component, ComponentGroup
from telemetry.domain.naming import series_key
from telemetry.models import MinuteRollup, Series
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db
ROWS = 30


@pytest.fixture
def month(make_user) -> dict:
    """30 services, each with an SLO (status, snapshots, a firing burn alert), 30 open alert groups of 2 alerts
    with events and notifications, 30 incidents with timelines, updates, services and linked groups, 30 components
    on services and SLOs, and a minute of traffic per service for the SLO pages' charts."""
    now = timezone.now().replace(microsecond=0)
    commander = make_user("responder")
    receiver = Receiver.objects.create(name="ledger")
    route = Route.objects.create(name="root", receiver=receiver)
    services, slos, groups, incidents = [], [], [], []
    minute = int(now.timestamp()) // 60 * 60
    for n in range(ROWS):
        service = ServiceFactory(name=f"svc-{n:02d}")
        services.append(service)
        slo = SLOFactory(
            service=service,
            name=f"availability-{n}",
            status={"data_state": "ok", "error_budget": {"remaining_ratio": 0.9 - n / 50}},
            status_at=now,
            burn_alerts=[{"service": service.name, "slo": f"availability-{n}", "long_window": "1h"}],
        )
        slos.append(slo)
        SLOSnapshot.objects.bulk_create(
            SLOSnapshot(slo=slo, at=now - dt.timedelta(hours=h), data_state="ok", remaining_ratio=0.9 - h / 100)
            for h in range(0, 24, 4)
        )
        for code, rate in (("200", 100.0), ("500", 1.0)):
            labels = {"service": service.name, "code": code}
            series = Series.objects.create(
                name="http_requests_total", key=series_key("http_requests_total", labels), labels=labels
            )
            MinuteRollup.objects.bulk_create(
                MinuteRollup(series=series, start=minute - 60 * k, increase=rate, samples=1) for k in range(1, 6)
            )
        labels = {"alertname": "HighErrorRate", "service": service.name}
        group = AlertGroup.objects.create(
            group_key=uuid.uuid4().hex,
            route=route,
            receiver=receiver,
            group_labels=labels,
            state=("firing", "acknowledged")[n % 2],
            created_at=now - dt.timedelta(minutes=n + 5),
            updated_at=now - dt.timedelta(minutes=n),
            last_notified_at=now - dt.timedelta(minutes=n),
            acknowledged_by="alice" if n % 2 else "",
        )
        groups.append(group)
        for k, source in enumerate(("alertmanager", "slo")):
            alert_labels = {**labels, "instance": f"i-{k}", "severity": "critical"}
            if source == "slo":
                alert_labels.update(slo=slo.name, alertname="SLOErrorBudgetBurn", long_window="1h")
            group.alerts.add(
                Alert.objects.create(
                    fingerprint=uuid.uuid4().hex[:16],
                    labels=alert_labels,
                    annotations={"summary": f"Errors on {service.name}"},
                    source=source,
                    starts_at=group.created_at,
                    received_at=group.created_at,
                    updated_at=group.updated_at,
                )
            )
        GroupEvent.objects.create(group=group, at=group.created_at, kind="created")
        Notification.objects.create(
            receiver=receiver,
            group=group,
            event="trigger",
            dedup_key=group.group_key,
            payload_hash=uuid.uuid4().hex,
            state="delivered",
            next_attempt_at=now,
            created_at=group.updated_at,
        )
        incident = Incident.objects.create(
            title=f"Errors on {service.name}",
            severity=("sev1", "sev2", "sev3")[n % 3],
            status=("investigating", "resolved")[n % 2],
            started_at=now - dt.timedelta(hours=n + 1),
            resolved_at=now - dt.timedelta(hours=n) if n % 2 else None,
            created_at=now - dt.timedelta(hours=n + 1),
            updated_at=now,
            commander=commander,
        )
        incidents.append(incident)
        incident.services.add(service)
        IncidentAlertGroup.objects.create(incident=incident, group=group, linked_at=now)
        TimelineEntry.objects.bulk_create(
            TimelineEntry(incident=incident, at=incident.started_at + dt.timedelta(minutes=k), kind="note", message="x")
            for k in range(5)
        )
        StatusUpdate.objects.create(
            incident=incident, visibility="public", status="investigating", body="Looking into it.", created_at=now
        )
    component_group = ComponentGroup.objects.create(name="Web")
    for n, (service, slo) in enumerate(zip(services, slos, strict=True)):
        component = Component.objects.create(
            name=f"Component {n:02d}", group=component_group if n % 2 else None, status_from_slo_burn=True
        )
        component.services.add(service)
        component.slos.add(slo)
    return {"slo": slos[5].pk, "group": groups[5].pk, "incident": incidents[4].pk}


# page -> (path, most queries allowed): measured with these rows (20, 8, 12, 8, 22, 9, 33, 18) plus room for a
# few more reads, far below the 30+ one query per row would add
BOUNDS = {
    "overview": ("/", 28),
    "alerts": ("/alerts/", 16),
    "group": ("/alerts/groups/{group}/", 20),
    "slos": ("/slos/", 16),
    "slo": ("/slos/{slo}/", 32),
    "incidents": ("/incidents/", 17),
    "incident": ("/incidents/{incident}/", 42),
    "statuspage": ("/statuspage/", 26),
}


@pytest.mark.parametrize("role", ["admin", "viewer"])
@pytest.mark.parametrize("page", list(BOUNDS))
def test_main_page_queries_do_not_grow_with_rows(
    session_client, month, django_assert_max_num_queries, page: str, role: str
) -> None:
    path, bound = BOUNDS[page]
    client = session_client(role)
    url = path.format(**month)
    client.get(url)  # warm: per-process caches (content types, settings) are not the page's cost
    cache.clear()  # but the Overview's 5 s cache of its cards would hide what the cards cost
    with django_assert_max_num_queries(bound):
        response = client.get(url)
    assert response.status_code == 200, url


def test_slo_list_pages_50_at_a_time_with_search_and_filters(session_client) -> None:
    service = ServiceFactory(name="checkout")
    for n in range(55):
        remaining = None if n % 11 == 0 else n / 100
        SLOFactory(service=service, name=f"slo-{n:02d}", status={"error_budget": {"remaining_ratio": remaining}})
    SLOFactory(service=ServiceFactory(name="search"), name="findme", status={"error_budget": {"remaining_ratio": 0.9}})
    client = session_client("viewer")
    first = client.get("/slos/").content.decode()
    assert first.count('<tr data-slo="') == 50 and "Page 1 of 2 (56 SLOs)" in first
    assert first.index("slo-01") < first.index("slo-02")  # least budget first; no data last (on page 2)
    second = client.get("/slos/?page=2").content.decode()
    assert second.count('<tr data-slo="') == 6 and "slo-00" in second and "slo-44" in second
    found = client.get("/slos/?q=findme").content.decode()
    assert found.count('<tr data-slo="') == 1 and "findme" in found
    no_data = client.get("/slos/?data=no_data").content.decode()
    assert no_data.count('<tr data-slo="') == 5 and "slo-11" in no_data
    at_risk = client.get("/slos/?data=at_risk").content.decode()
    assert at_risk.count('<tr data-slo="') == 22  # 1..24 below 25%, less the two without data (11, 22)
    refresh = client.get("/slos/?q=slo&page=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in refresh and "q=slo&amp;page=1" in refresh


@pytest.mark.parametrize("role", ["admin", "viewer"])
@pytest.mark.parametrize("page", list(BOUNDS))
def test_a_main_page_served_from_the_shared_cache_reads_only_the_session_and_the_user(
    session_client, month, django_assert_max_num_queries, page: str, role: str
) -> None:
    """Once someone of the role opened the page, the next person's request reads their session and their user
    with the role (one query: ``sre.auth.roles.user_with_role``) and nothing else; the SLO page also when the SLO
    was last saved (its key). The shell's heartbeat is read through the cache."""
    path, _ = BOUNDS[page]
    url = path.format(**month)
    session_client(role).get(url)  # someone else of the role built it
    client = session_client(role)
    with django_assert_max_num_queries(3 if page == "slo" else 2):
        response = client.get(url)
    assert response.status_code == 200, url
    assert client.user.username in response.content.decode()


@pytest.mark.parametrize(
    ("groups", "superuser", "active", "expected"),
    [
        (["viewer"], False, True, "viewer"),
        (["viewer", "admin", "responder"], False, True, "admin"),
        (["responder", "unrelated"], False, True, "responder"),
        ([], False, True, None),
        ([], True, True, "admin"),
        (["admin"], False, False, None),
    ],
)
def test_the_sessions_user_comes_with_their_role_in_one_query(
    django_assert_num_queries, groups, superuser, active, expected
) -> None:
    from django.contrib.auth.models import Group, User

    from sre.auth.roles import user_role, user_with_role
    from sre.identity.backends import LocalPasswordBackend

    user = User.objects.create(username="someone", is_superuser=superuser, is_active=active)
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    with django_assert_num_queries(1):
        found = user_with_role(user.pk)
        assert (found.pk, found.username) == (user.pk, "someone")
        assert user_role(found) == expected
    assert user_with_role(user.pk + 1000) is None and user_with_role("not a number") is None
    assert (LocalPasswordBackend().get_user(user.pk) is None) is (not active)
