"""HTML pages: list sorted by budget, detail with charts and explanations, forms with preview, deletes,
import, services, Overview panel; roles and CSRF."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from slo.models import SLO, Service
from slo.services import slo_evaluate_all
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.support.payloads import deep_yaml

pytestmark = pytest.mark.django_db


def _post(client, url, data=None, get_url=None):
    client.get(get_url or url)
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=token)


def three_slos() -> tuple:
    """(now, burning, healthy, quiet): checkout burns (5 bad minutes), search is healthy, quiet has no traffic."""
    now = timezone.now().replace(microsecond=0)
    push(traffic(service="checkout", now=now, minutes=90, ok=1000, errors=lambda m: 200 if m < 5 else 0), now=now)
    push(traffic(service="search", now=now, minutes=90, ok=1000, errors=0), now=now)
    burning = SLOFactory(service=ServiceFactory(name="checkout"), name="checkout-availability")
    healthy = SLOFactory(service=ServiceFactory(name="search"), name="search-availability")
    quiet = SLOFactory(service=ServiceFactory(name="quiet"), name="quiet-availability")
    return now, burning, healthy, quiet


@pytest.fixture
def evaluated():
    now, burning, healthy, quiet = three_slos()
    slo_evaluate_all(now=now)
    return burning, healthy, quiet


def test_index_sorts_by_remaining_budget(session_client, evaluated, django_assert_max_num_queries):
    client = session_client("viewer")
    with django_assert_max_num_queries(12):
        body = client.get(reverse("slo:index")).content.decode()
    order = [body.index(name) for name in ("checkout-availability", "search-availability", "quiet-availability")]
    assert order == sorted(order)
    assert "1 firing" in body or "2 firing" in body or "3 firing" in body
    assert "New SLO" not in body  # viewers do not get admin buttons


def test_empty_state(session_client):
    body = session_client("viewer").get(reverse("slo:index")).content.decode()
    assert "No SLOs yet" in body


def test_detail_shows_numbers_charts_and_explanations(session_client, evaluated):
    burning = evaluated[0]
    response = session_client("viewer").get(reverse("slo:detail", args=[burning.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Budget burn-down" in body and 'data-slo-chart="burn"' in body and "plotly-2.35.3.min.js" in body
    assert "How every number is computed" in body and "0.0144" in body
    assert "Firing burn alerts" in body and "firing" in body
    data = json.loads(body.split('id="slo-charts" type="application/json">')[1].split("</script>")[0])
    assert data["burn"]["windows"][:3] == ["5m", "30m", "1h"]
    assert [t["factor"] for t in data["burn"]["thresholds"]] == [14.4, 6.0, 1.0]
    assert data["sli"]["x"] and data["burndown"]["remaining"][-1] < 1


def test_detail_of_quiet_slo_says_no_data(session_client, evaluated):
    body = session_client("viewer").get(reverse("slo:detail", args=[evaluated[2].pk])).content.decode()
    assert "no data" in body and "neither 100% nor 0%" in body


def test_detail_404(session_client):
    assert session_client("viewer").get(reverse("slo:detail", args=[999])).status_code == 404


def test_viewer_cannot_open_forms_or_post(session_client, evaluated):
    client = session_client("viewer")
    assert client.get(reverse("slo:create")).status_code == 403
    assert _post(client, reverse("slo:delete", args=[evaluated[0].pk]), get_url=reverse("slo:index")).status_code == 403
    assert SLO.objects.count() == 3


def test_create_through_the_form(session_client):
    ServiceFactory(name="checkout")
    client = session_client("admin")
    data = {
        "service": "checkout", "name": "co-latency", "target": "99", "window_kind": "rolling", "window_days": "7",
        "calendar_unit": "month", "timezone": "UTC", "budgeting_method": "Occurrences", "timeslice_target": "99",
        "sli_kind": "latency", "latency_selector": 'http_request_duration_seconds_bucket{service="checkout"}',
        "latency_threshold": "0.5", "policy-0-factor": "10", "policy-0-long_window": "1h",
        "policy-0-short_window": "5m", "enabled": "on",
    }  # fmt: skip
    response = _post(client, reverse("slo:create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    slo = SLO.objects.get(name="co-latency")
    assert slo.sli == {"selector": 'http_request_duration_seconds_bucket{service="checkout"}', "threshold": "0.5"}
    assert slo.window_days == 7 and slo.alert_policy[0]["factor"] == "10" and len(slo.alert_policy) == 1
    assert str(slo.target) == "0.99000000"
    assert slo.missing_good == "no_data"  # the default when the form leaves it out

    edit = {**data, "missing_good": "bad"}
    response = _post(client, reverse("slo:edit", args=[slo.pk]), edit)
    assert response.status_code == 302, response.content.decode()[:3000]
    slo.refresh_from_db()
    assert slo.missing_good == "bad"


def test_form_errors_are_shown_on_the_fields(session_client):
    ServiceFactory(name="checkout")
    client = session_client("admin")
    data = {
        "service": "checkout",
        "name": "x",
        "target": "99.9",
        "window_kind": "rolling",
        "window_days": "30",
        "calendar_unit": "month",
        "timezone": "UTC",
        "budgeting_method": "Occurrences",
        "sli_kind": "ratio",
        "ratio_numerator": "bad",
        "ratio_numerator_selector": "http_requests_total{",
        "ratio_total_selector": "x",
    }
    response = _post(client, reverse("slo:create"), data)
    assert response.status_code == 400
    assert "expected a label name" in response.content.decode()
    assert not SLO.objects.exists()


def test_preview_fragment(session_client):
    now = timezone.now()
    push(traffic(service="checkout", now=now, minutes=60, ok=99, errors=1), now=now)
    client = session_client("admin")
    data = {"sli_kind": "ratio", "target": "99.9", "ratio_numerator": "bad",
            "ratio_numerator_selector": 'http_requests_total{service="checkout", code="500"}',
            "ratio_total_selector": 'http_requests_total{service="checkout"}'}  # fmt: skip
    body = _post(client, reverse("slo:preview"), data, get_url=reverse("slo:create")).content.decode()
    assert "99.000%" in body and "below" in body
    bad = _post(client, reverse("slo:preview"), {"sli_kind": "ratio"}, get_url=reverse("slo:create")).content.decode()
    assert "field-error" in bad


def test_edit_and_delete(session_client, evaluated):
    client = session_client("admin")
    slo = evaluated[1]
    page = client.get(reverse("slo:edit", args=[slo.pk])).content.decode()
    assert "search-availability" in page and "Preview SLI" in page
    confirm = client.get(reverse("slo:delete", args=[slo.pk])).content.decode()
    assert "cannot be undone" in confirm
    assert _post(client, reverse("slo:delete", args=[slo.pk])).status_code == 302
    assert not SLO.objects.filter(pk=slo.pk).exists()


def test_services_pages(session_client, evaluated):
    client = session_client("admin")
    response = _post(client, reverse("slo:service-create"), {"name": "new-svc", "tier": "1",
                                                             "links": "Runbook | https://wiki/x"})  # fmt: skip
    assert response.status_code == 302
    service = Service.objects.get(name="new-svc")
    assert service.links == [{"title": "Runbook", "url": "https://wiki/x"}]
    bad = _post(client, reverse("slo:service-create"), {"name": "x2", "tier": "1", "links": "javascript:alert(1)"})
    assert bad.status_code == 400
    detail = client.get(reverse("slo:service-detail", args=[evaluated[0].service_id])).content.decode()
    assert "checkout-availability" in detail
    assert "1 SLO" in client.get(reverse("slo:service-delete", args=[evaluated[0].service_id])).content.decode()
    assert _post(client, reverse("slo:service-delete", args=[evaluated[0].service_id])).status_code == 302
    assert not SLO.objects.filter(name="checkout-availability").exists()


def test_import_page(session_client):
    from tests.slo.test_openslo import DOCS

    client = session_client("admin")
    response = _post(client, reverse("slo:import"), {"documents": DOCS})
    body = response.content.decode()
    assert response.status_code == 200 and "checkout-latency" in body and "spec.fancyField" in body
    broken = _post(client, reverse("slo:import"), {"documents": "apiVersion: openslo/v1\nkind: Foo\n"})
    assert broken.status_code == 400
    deep = _post(client, reverse("slo:import"), {"documents": deep_yaml()["flow list"]})  # was a 500
    assert deep.status_code == 400 and "nested more than" in deep.content.decode()


def test_overview_panel_lists_slos_at_risk(session_client, evaluated):
    body = session_client("viewer").get(reverse("overview")).content.decode()
    panel = body.split('data-testid="slo-overview"')[1].split("</section>")[0]
    assert "checkout-availability" in panel and "search-availability" not in panel


def test_service_links_are_links_only_when_http(session_client) -> None:
    service = ServiceFactory(name="linked")
    links = [{"title": "Evil", "url": "javascript:alert(1)"}, {"title": "Runbook", "url": "https://wiki.example/rb"}]
    Service.objects.filter(pk=service.pk).update(links=links)  # older rows were checked by prefix only
    body = session_client("viewer").get(f"/slos/services/{service.pk}/").content.decode()
    assert "javascript:" not in body and "<li>Evil</li>" in body
    assert '<a href="https://wiki.example/rb" rel="noopener noreferrer">Runbook</a>' in body
