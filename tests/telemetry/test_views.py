"""The Logs page: filters, histogram data, newest first, live tail partial, roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from telemetry.domain.logs import LogRecord
from telemetry.models import IngestBatch, LogEntry, Series
from telemetry.services import logs_ingest


@pytest.fixture
def logs():
    now = timezone.now()
    records = [
        LogRecord(
            now - dt.timedelta(minutes=5), "checkout", "error", "payment upstream timeout", {"order": "A1"}, "t1"
        ),
        LogRecord(now - dt.timedelta(minutes=3), "search", "info", "index refreshed", {}, ""),
        LogRecord(now - dt.timedelta(hours=3), "checkout", "info", "old line", {}, ""),
    ]
    logs_ingest(records=records, scope="t", batch_id=None, now=now)
    return now


@pytest.mark.django_db
def test_logs_page_lists_newest_first_with_histogram(session_client, logs, django_assert_max_num_queries):
    client = session_client("viewer")
    with django_assert_max_num_queries(12):
        response = client.get("/logs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("index refreshed") < html.index("payment upstream timeout")
    assert "old line" not in html  # outside the default last hour
    assert "1 min buckets)" in html  # the step in words, not "60s"
    assert "order: A1" in html and 'id="log-histogram-data"' in html
    assert "telemetry-logs.js" in html and "plotly-" in html
    assert 'id="tail-poller"' in html


@pytest.mark.django_db
def test_logs_page_filters(session_client, logs):
    client = session_client("viewer")
    html = client.get("/logs/", {"q": "timeout", "level": "error", "range": "24h"}).content.decode()
    assert "payment upstream <mark>timeout</mark>" in html and "index refreshed" not in html
    html = client.get("/logs/", {"service": "checkout", "range": "24h"}).content.decode()
    assert "old line" in html and "index refreshed" not in html
    empty = client.get("/logs/", {"q": "nothing-like-this"}).content.decode()
    assert "No log lines match" in empty
    bad = client.get("/logs/", {"level": "loud"})
    assert bad.status_code == 200 and "Unknown level" in bad.content.decode()


@pytest.mark.django_db
def test_live_tail_returns_only_newer_lines(session_client, logs):
    client = session_client("viewer")
    after = (logs - dt.timedelta(minutes=4)).isoformat()
    html = client.get("/logs/tail", {"after": after}).content.decode()
    assert "index refreshed" in html and "payment upstream timeout" not in html
    assert 'hx-swap-oob="afterbegin:#log-lines"' in html and 'id="tail-poller"' in html
    nothing = client.get("/logs/tail", {"after": logs.isoformat()}).content.decode()
    assert "log-line" not in nothing and 'id="tail-poller"' in nothing


@pytest.mark.django_db
def test_logs_page_needs_login(client):
    response = client.get("/logs/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_overview_card_counts_what_came_in(session_client, logs):
    from sre.demo.services import demo_traffic_push

    client = session_client("viewer")
    empty_series = client.get("/").content.decode()
    assert "Telemetry" in empty_series
    demo_traffic_push(now=timezone.now())
    html = client.get("/").content.decode()
    assert 'data-testid="samples-last-hour"' in html
    assert ">0<" not in html.split('data-testid="samples-last-hour">')[1][:5]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "rows"), [("series", Series), ("logentry", LogEntry), ("ingestbatch", IngestBatch)])
def test_admin_lists_are_read_only(admin_client, logs, model, rows):
    response = admin_client.get(f"/admin/telemetry/{model}/")
    assert response.status_code == 200
    page = response.content.decode()
    paginator = page.split('class="paginator">', 1)[1].split("</p>", 1)[0]
    assert paginator.split()[0] == str(rows.objects.count()), paginator  # e.g. "3 log entries"
    assert f'href="/admin/telemetry/{model}/add/"' not in page  # no Add button
    assert admin_client.get(f"/admin/telemetry/{model}/add/").status_code == 403


@pytest.mark.django_db
def test_search_marks_the_words_and_escapes_the_rest(session_client):
    now = timezone.now()
    message = '<script>alert("x")</script> <b>alert("y")</b> Upstream TIMEOUT after timeouts & retries'
    logs_ingest(records=[LogRecord(now - dt.timedelta(minutes=1), "checkout", "error", message, {}, "")],
                scope="t", batch_id=None, now=now)  # fmt: skip
    client = session_client("viewer")
    html = client.get("/logs/", {"q": "timeout upstream"}).content.decode()
    assert "<mark>Upstream</mark> <mark>TIMEOUT</mark> after timeouts &amp; retries" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    tail = client.get("/logs/tail", {"q": "timeout", "after": (now - dt.timedelta(minutes=5)).isoformat()})
    assert "<mark>TIMEOUT</mark>" in tail.content.decode()
    # a query holding markup is only ever text (PostgreSQL's text search drops tags, and a <script> element's
    # content, from the query and the line alike: the words searched here stand outside a script element)
    html = client.get("/logs/", {"q": "alert <y>"}).content.decode()
    assert "&lt;b&gt;<mark>alert</mark>(&quot;<mark>y</mark>&quot;)&lt;/b&gt;" in html
    assert 'value="alert &lt;y&gt;"' in html and "alert <y>" not in html


@pytest.mark.django_db
def test_services_are_offered_from_a_list(session_client, logs):
    from slo.models import Service

    Service.objects.create(name="payments-api")
    client = session_client("viewer")
    html = client.get("/logs/", {"service": "search"}).content.decode()
    assert '<select id="id_service" name="service">' in html
    for name in ("checkout", "search", "payments-api"):  # stored log services and declared ones
        assert f'<option value="{name}"' in html
    assert '<option value="search" selected>' in html


@pytest.mark.django_db
def test_from_and_to_are_read_in_the_viewers_zone(session_client, logs):
    from zoneinfo import ZoneInfo

    tokyo = (logs - dt.timedelta(minutes=10)).astimezone(ZoneInfo("Asia/Tokyo"))
    window = {
        "start": tokyo.strftime("%Y-%m-%dT%H:%M"),
        "end": (tokyo + dt.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"),
    }
    client = session_client("viewer")
    html = client.get("/logs/", {**window, "tz": "Asia/Tokyo"}).content.decode()
    assert "payment upstream timeout" in html and 'value="Asia/Tokyo" data-viewer-zone' in html
    assert "payment upstream timeout" not in client.get("/logs/", window).content.decode()  # read as UTC: 9 h off
    unknown = client.get("/logs/", {**window, "tz": "Mars/Olympus"})
    assert unknown.status_code == 200  # an unknown zone is UTC, not an error
