"""SLO list and detail as pages: the sparkline has points once evaluations ran (it was empty on a first start),
one truth for firing burn alerts (an alert resolved by hand is not firing), no data never shows as healthy,
live refresh fragments, what a viewer sees, and query-count bounds with 30 SLOs."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from alerts.services.actions import alert_resolve
from slo.models import SLOSnapshot
from slo.services import slo_evaluate_all
from tests.incidents.factories import IncidentFactory
from tests.releases.factories import DeploymentFactory
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.slo.test_views import three_slos

pytestmark = pytest.mark.django_db


def _row(body: str, name: str) -> str:
    return body.split(f">{name}</a>")[1].split("</tr>")[0]


def _points(row: str) -> list[tuple[float, float]]:
    found = re.search(r'<polyline[^>]* points="([^"]*)"', row)
    return [tuple(map(float, p.split(","))) for p in found.group(1).split()] if found else []


@pytest.fixture
def three():
    """Burning, healthy and quiet (no traffic) SLOs, not evaluated yet."""
    return three_slos()


def test_sparkline_has_points_after_the_first_evaluations(session_client, three):
    """A first start: ten minutes of evaluations. The sparkline put them all in one hourly bucket and drew nothing."""
    now, burning, healthy, quiet = three
    for minutes in range(10, -1, -1):
        slo_evaluate_all(now=now - dt.timedelta(minutes=minutes))
    body = session_client("viewer").get(reverse("slo:index")).content.decode()
    for slo in (burning, healthy):
        points = _points(_row(body, slo.name))
        assert len(points) >= 2, _row(body, slo.name)
        assert points[0][0] == 0.0 and points[-1][0] > 100  # from the first evaluation to the latest, near now
    assert _points(_row(body, quiet.name)) == [] and "no history yet" in _row(body, quiet.name)


def test_sparkline_over_a_day_samples_hourly_and_places_points_by_time(session_client, three):
    now, burning, *_ = three
    slo_evaluate_all(now=now)
    day = [now - dt.timedelta(minutes=m) for m in range(1, 24 * 60)]
    SLOSnapshot.objects.bulk_create(
        SLOSnapshot(slo=burning, at=at, data_state="ok", remaining_ratio=1 - (now - at).total_seconds() / 86400 / 2)
        for at in day
        if not (now - dt.timedelta(hours=14) < at < now - dt.timedelta(hours=10))  # four hours without evaluations
    )
    body = session_client("viewer").get(reverse("slo:index")).content.decode()
    points = _points(_row(body, burning.name))
    assert 20 <= len(points) <= 26  # one per hour (never 1,440), and the current status
    xs = [x for x, _ in points]
    assert xs == sorted(xs) and max(b - a for a, b in itertools.pairwise(xs)) > 3 * 120 / 24  # the gap shows
    # SVG y grows downwards: the snapshots' budget rose towards now, then the current status (overspent) is lowest
    assert points[0][1] > points[-2][1] and points[-1][1] == max(y for _, y in points)


def test_resolved_by_hand_is_not_firing_anywhere_and_the_condition_still_holds(session_client, three):
    now, burning, *_ = three
    slo_evaluate_all(now=now)
    firing = Alert.objects.filter(source="slo", status="firing", labels__slo=burning.name)
    count = firing.count()
    assert count >= 1
    client = session_client("viewer")
    assert f"{count} firing" in _row(client.get(reverse("slo:index")).content.decode(), burning.name)
    alert = firing.order_by("pk").first()
    alert_resolve(alert_id=alert.pk, actor="alice", now=now)
    cache.clear()  # pages are shared for sre.pagecache.TTL seconds; alice (the writer) bypasses them, this viewer not
    row = _row(client.get(reverse("slo:index")).content.decode(), burning.name)
    assert (f"{count - 1} firing" in row) if count > 1 else ("none firing" in row)
    detail = client.get(reverse("slo:detail", args=[burning.pk])).content.decode()
    table = detail.split('data-testid="slo-conditions"')[1].split("</table>")[0]
    resolved_row = next(r for r in table.split("<tr>") if f"{alert.labels['long_window']}:" in r)
    assert "condition holds" in resolved_row and "alert resolved by hand (alice)" in resolved_row
    assert "alert firing" not in resolved_row


def test_no_data_never_shows_healthy(session_client, three):
    now, _burning, _healthy, quiet = three
    slo_evaluate_all(now=now)
    client = session_client("viewer")
    row = _row(client.get(reverse("slo:index")).content.decode(), quiet.name)
    assert "pill ok" not in row and "no data" in row
    detail = client.get(reverse("slo:detail", args=[quiet.pk])).content.decode()
    numbers = detail.split('data-testid="slo-numbers"')[1].split("slo-charts")[0]
    assert "pill ok" not in numbers and "no data" in numbers
    assert 'exhaustion</h2><p class="big-number">unknown' in numbers
    table = detail.split('data-testid="slo-conditions"')[1].split("</table>")[0]
    assert table.count("no data") >= 3 and "condition does not hold" not in table


def test_live_refresh_fragments(session_client, three):
    now, burning, *_ = three
    slo_evaluate_all(now=now)
    client = session_client("viewer")
    index = client.get(reverse("slo:index")).content.decode()
    assert 'hx-trigger="every 30s" data-poll-toggle="[data-live-toggle]"' in index
    fragment = client.get(reverse("slo:index"), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'data-testid="slo-list"' in fragment and "Services" not in fragment
    detail = client.get(reverse("slo:detail", args=[burning.pk]), {"range": "6h"}).content.decode()
    assert f'hx-get="/slos/{burning.pk}/?range=6h" hx-trigger="every 30s"' in detail
    part = client.get(reverse("slo:detail", args=[burning.pk]), {"range": "6h"}, headers={"HX-Request": "true"})
    body = part.content.decode()
    assert "<html" not in body and 'id="slo-charts"' in body and '"step": 300' in body


def test_viewers_get_no_buttons_that_403(session_client, three):
    now, burning, *_ = three
    slo_evaluate_all(now=now)
    viewer = session_client("viewer")
    for url in (reverse("slo:index"), reverse("slo:detail", args=[burning.pk]),
                reverse("slo:service-detail", args=[burning.service_id])):  # fmt: skip
        body = viewer.get(url).content.decode()
        for action in ("/edit/", "/delete/", "/new/", "/import/"):
            assert action not in body, (url, action)
    assert "Admins edit and delete SLOs." in viewer.get(reverse("slo:detail", args=[burning.pk])).content.decode()
    admin = session_client("admin").get(reverse("slo:detail", args=[burning.pk])).content.decode()
    assert f"/slos/{burning.pk}/edit/" in admin and f"/slos/{burning.pk}/delete/" in admin


def _many(n: int, now: dt.datetime) -> list:
    push(traffic(service="checkout", now=now, minutes=30, ok=100, errors=1), now=now)
    service = ServiceFactory(name="checkout")
    slos = [SLOFactory(service=service, name=f"slo-{i:02d}") for i in range(n)]
    slo_evaluate_all(now=now)
    SLOSnapshot.objects.bulk_create(
        SLOSnapshot(slo=s, at=now - dt.timedelta(hours=h), data_state="ok", remaining_ratio=0.9)
        for s in slos
        for h in range(1, 24)
    )
    return slos


def test_list_queries_do_not_grow_with_slos(session_client, django_assert_max_num_queries):
    now = timezone.now().replace(microsecond=0)
    _many(30, now)
    client = session_client("viewer")
    client.get(reverse("slo:index"))  # session, role
    with django_assert_max_num_queries(10):
        body = client.get(reverse("slo:index")).content.decode()
    assert body.count("<polyline") == 30


def test_detail_query_count(session_client, django_assert_max_num_queries):
    now = timezone.now().replace(microsecond=0)
    slo = _many(30, now)[7]
    push(traffic(service="checkout", now=now, minutes=5, ok=100, errors=1, offset=3 * 24 * 60), now=now)
    service = slo.service
    for h in range(12):  # markers: deployments and incidents must not cost a query each
        DeploymentFactory(service=service, version=f"1.{h}", at=now - dt.timedelta(hours=h, minutes=5))
        IncidentFactory(title=f"Incident {h}", started_at=now - dt.timedelta(hours=h, minutes=9)).services.add(service)
    client = session_client("viewer")
    client.get(reverse("slo:index"))
    for name in ("1h", "1d", "30d"):
        with django_assert_max_num_queries(30):  # 22 on SQLite, 28 on PostgreSQL: whatever the markers and range
            response = client.get(reverse("slo:detail", args=[slo.pk]), {"range": name})
        assert response.status_code == 200


@pytest.mark.parametrize("junk", ["\x00", "%", "' OR 1=1 --", "x" * 5000, "\u202e"])
def test_junk_parameters_never_fail(session_client, three, junk):
    _now, burning, *_ = three
    client = session_client("viewer")
    for params in ({"q": junk}, {"slo": junk, "service": junk}, {"data": junk, "page": junk}):
        assert client.get(reverse("slo:index"), params).status_code == 200, params
    assert client.get(reverse("slo:detail", args=[burning.pk]), {"range": junk}).status_code == 200


def test_sparkline_reads_history_written_on_the_hour(session_client, three):
    """The demo's backfilled history has one snapshot per whole hour (not one a minute)."""
    now, burning, *_ = three
    slo_evaluate_all(now=now)
    hour = now.replace(minute=0, second=0)
    history = [
        SLOSnapshot(slo=burning, at=hour - dt.timedelta(hours=h), data_state="ok", remaining_ratio=0.5 + h / 100)
        for h in range(23)
    ]
    SLOSnapshot.objects.bulk_create(history, ignore_conflicts=True)
    body = session_client("viewer").get(reverse("slo:index")).content.decode()
    assert len(_points(_row(body, burning.name))) >= 22
