"""A latency threshold must be a bucket of the stored histogram: refused at save (API 422, the form) listing
the buckets, accepted whatever the spelling of ``le`` (``1`` is ``1.0``), allowed while the series has no data,
and not re-checked when an edit leaves the SLI as it was."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from slo.models import SLO
from tests.slo.conftest import push
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db

METRIC = "http_request_duration_seconds_bucket"
SELECTOR = f'{METRIC}{{service="checkout"}}'


@pytest.fixture
def admin(token_client):
    return token_client(role="admin", scopes=("read", "write"))


@pytest.fixture
def histogram():
    """Python-client buckets 0.25, 0.5, 1.0, +Inf of checkout (and a 0.3 bucket of another service)."""
    ServiceFactory(name="checkout")
    now = timezone.now().replace(microsecond=0)
    samples = [
        {"metric": METRIC, "labels": {"service": service, "le": le}, "value": 10, "timestamp": now.timestamp(),
         "kind": "counter"}
        for service, bounds in (("checkout", ("0.25", "0.5", "1.0", "+Inf")), ("search", ("0.3", "+Inf")))
        for le in bounds
    ]  # fmt: skip
    push(samples, now=now)


def _create(admin, threshold: str, selector: str = SELECTOR):
    sli = {"selector": selector, "threshold": threshold}
    return admin.post("/api/v1/slos/", {"service": "checkout", "name": "latency", "sli_kind": "latency", "sli": sli},
                      format="json")  # fmt: skip


def test_a_threshold_between_buckets_is_refused_listing_them(admin, histogram):
    response = _create(admin, "0.3")
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert "0.25, 0.5, 1.0" in error["message"]
    assert "0.25, 0.5, 1.0" in error["fields"]["sli.threshold"][0]
    assert not SLO.objects.exists()


@pytest.mark.parametrize("threshold", ["1", "1.0", "1.000", "0.5", "0.25"])
def test_a_bucket_bound_is_accepted_whatever_its_spelling(admin, histogram, threshold):
    response = _create(admin, threshold)
    assert response.status_code == 201, response.json()
    assert float(SLO.objects.get(name="latency").sli["threshold"]) == float(threshold)


def test_no_data_yet_is_saved(admin):
    ServiceFactory(name="checkout")
    response = _create(admin, "0.3")
    assert response.status_code == 201, response.json()
    assert float(SLO.objects.get(name="latency").sli["threshold"]) == 0.3


def test_only_the_selected_series_count(admin, histogram):
    """search's 0.3 bucket does not make 0.3 a bucket of checkout."""
    refused = _create(admin, "0.3")
    assert refused.status_code == 422 and "0.25, 0.5, 1.0" in refused.json()["error"]["message"]
    assert not SLO.objects.exists()
    assert _create(admin, "0.3", selector=f'{METRIC}{{service="search"}}').status_code == 201
    assert SLO.objects.get().sli["selector"] == f'{METRIC}{{service="search"}}'


def test_an_edit_that_keeps_the_sli_is_not_blocked(admin, histogram):
    """An SLO saved before its data arrived (or before the check existed) can still be disabled or renamed;
    changing its threshold is checked."""
    slo = SLOFactory(service=ServiceFactory(name="checkout"), name="latency", sli_kind="latency",
                     sli={"selector": SELECTOR, "threshold": "0.3"})  # fmt: skip
    assert admin.patch(f"/api/v1/slos/{slo.pk}/", {"enabled": False}, format="json").status_code == 200
    changed = admin.patch(f"/api/v1/slos/{slo.pk}/", {"sli": {"selector": SELECTOR, "threshold": "0.4"}}, format="json")
    assert changed.status_code == 422
    fixed = admin.patch(f"/api/v1/slos/{slo.pk}/", {"sli": {"selector": SELECTOR, "threshold": "0.5"}}, format="json")
    assert fixed.status_code == 200


def test_the_form_shows_the_buckets_on_the_threshold(session_client, histogram):
    client = session_client("admin")
    data = {
        "service": "checkout", "name": "co-latency", "target": "99", "window_kind": "rolling", "window_days": "7",
        "calendar_unit": "month", "timezone": "UTC", "budgeting_method": "Occurrences", "timeslice_target": "99",
        "sli_kind": "latency", "latency_selector": SELECTOR, "latency_threshold": "0.3",
        "policy-0-factor": "10", "policy-0-long_window": "1h", "policy-0-short_window": "5m", "enabled": "on",
    }  # fmt: skip
    client.get(reverse("slo:create"))
    response = client.post(reverse("slo:create"), data, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 400
    assert "0.25, 0.5, 1.0" in response.content.decode()
    assert not SLO.objects.exists()


def test_the_form_saves_without_data_and_says_the_threshold_is_unchecked(session_client):
    ServiceFactory(name="checkout")
    client = session_client("admin")
    data = {
        "service": "checkout", "name": "co-latency", "target": "99", "window_kind": "rolling", "window_days": "7",
        "calendar_unit": "month", "timezone": "UTC", "budgeting_method": "Occurrences", "timeslice_target": "99",
        "sli_kind": "latency", "latency_selector": SELECTOR, "latency_threshold": "0.3",
        "policy-0-factor": "10", "policy-0-long_window": "1h", "policy-0-short_window": "5m", "enabled": "on",
    }  # fmt: skip
    client.get(reverse("slo:create"))
    response = client.post(reverse("slo:create"), data, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
                           follow=True)  # fmt: skip
    assert response.status_code == 200 and SLO.objects.filter(name="co-latency").exists()
    assert "has data yet" in response.content.decode()
