"""A real Prometheus: remote_write into our live server, and Prometheus as a query source."""

from __future__ import annotations

import datetime as dt
import http.server
import threading

import pytest
from django.utils import timezone

from sre.errors import SourceUnavailableError
from telemetry.models import MinuteRollup, Series
from telemetry.prometheus import PrometheusSource, prometheus_source, prometheus_status
from tests.support.servers import free_port, wait_for
from tests.telemetry.prom import prometheus

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
def test_real_prometheus_remote_writes_its_own_counters_to_us(live_server, token_client):
    client = token_client(role="viewer", scopes=("ingest",))
    with prometheus(remote_write_url=f"{live_server.url}/api/v1/write", token=client.token):

        def increases_arrived():
            series = Series.objects.filter(name="prometheus_tsdb_head_samples_appended_total")
            ids = list(series.values_list("id", flat=True))
            return ids and sum(MinuteRollup.objects.filter(series_id__in=ids).values_list("increase", flat=True)) > 0

        wait_for(increases_arrived, timeout=60, interval=0.5, what="prometheus_* counters via remote_write")
    names = set(Series.objects.values_list("name", flat=True))
    assert "prometheus_http_requests_total" in names or "prometheus_build_info" in names
    up = Series.objects.get(name="up")
    assert up.labels == {"instance": up.labels["instance"], "job": "prometheus"}
    assert up.kind == "gauge"
    assert MinuteRollup.objects.filter(series_id=up.id, gauge=1.0).exists()


@pytest.fixture(scope="module")
def prom_url():
    with prometheus() as url:
        yield url


def test_instant_and_range_queries_against_real_prometheus(prom_url):
    source = PrometheusSource(prom_url, timeout=5)
    wait_for(lambda: source.instant('up{job="prometheus"}'), timeout=30, what="first scrape")
    [sample] = source.instant('up{job="prometheus"}')
    assert sample.value == 1.0 and sample.labels["job"] == "prometheus"
    [scalar] = source.instant("scalar(vector(42))")
    assert scalar.value == 42.0
    now = timezone.now()
    series = source.range("vector(2)", start=now - dt.timedelta(minutes=2), end=now, step=30)
    assert len(series) == 1 and len(series[0].points) >= 4
    assert all(v == 2.0 for _, v in series[0].points)


def test_bad_promql_is_source_unavailable_with_the_error(prom_url):
    with pytest.raises(SourceUnavailableError) as info:
        PrometheusSource(prom_url, timeout=5).instant("sum(")
    assert "parse error" in info.value.message


def test_unreachable_prometheus_is_source_unavailable_not_zero():
    source = PrometheusSource(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(SourceUnavailableError) as info:
        source.instant("up")
    assert "unavailable" in info.value.message
    status = source.check()
    assert status.configured and not status.ok and status.error


def test_failing_prometheus_is_asked_once_no_silent_retries():
    hits = []

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"overloaded")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(SourceUnavailableError):
            PrometheusSource(f"http://127.0.0.1:{server.server_port}", timeout=2).instant("up")
    finally:
        server.shutdown()
    assert len(hits) == 1


def test_not_configured_state(settings):
    settings.PROMETHEUS_URL = None
    assert prometheus_source() is None
    status = prometheus_status()
    assert not status.configured and "PROMETHEUS_URL" in status.error
