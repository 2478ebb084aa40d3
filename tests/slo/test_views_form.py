"""The SLO form: the target typed in percent (stored as a ratio), the burn policy edited as rows (no JSON), and
the selectors' suggestions endpoint (role-checked, limited, JSON errors for junk)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from slo.models import SLO
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.slo.test_views import _post

pytestmark = pytest.mark.django_db

BASE = {
    "service": "checkout", "name": "co-avail", "target": "99.95", "window_kind": "rolling", "window_days": "30",
    "calendar_unit": "month", "timezone": "UTC", "budgeting_method": "Occurrences", "timeslice_target": "99",
    "sli_kind": "ratio", "ratio_numerator": "bad", "missing_good": "no_data", "enabled": "on",
    "ratio_numerator_selector": 'http_requests_total{service="checkout", code=~"5.."}',
    "ratio_total_selector": 'http_requests_total{service="checkout"}',
}  # fmt: skip


def _rows(*rows: tuple[str, str, str, str], start: int = 0) -> dict:
    out = {}
    for i, (severity, long, short, factor) in enumerate(rows, start=start):
        out |= {f"policy-{i}-severity": severity, f"policy-{i}-long_window": long,
                f"policy-{i}-short_window": short, f"policy-{i}-factor": factor}  # fmt: skip
    return out


@pytest.fixture
def admin(session_client):
    ServiceFactory(name="checkout")
    return session_client("admin")


def test_target_in_percent_is_stored_as_a_ratio_and_shown_in_percent(admin):
    response = _post(admin, reverse("slo:create"), BASE | _rows(("page", "1h", "5m", "14.4")))
    assert response.status_code == 302, response.content.decode()[:2000]
    slo = SLO.objects.get(name="co-avail")
    assert slo.target == Decimal("0.9995") and slo.timeslice_target == Decimal("0.99")
    page = admin.get(reverse("slo:edit", args=[slo.pk])).content.decode()
    assert 'name="target" value="99.95"' in page and 'name="timeslice_target" value="99"' in page
    assert "<textarea" not in page.split('data-slo-field="alert_policy"')[1].split("</fieldset>")[0]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("0.999", "0.999% is under 1%: the target is a percentage"),
        ("100", "a percentage above 0% and below 100%"),
        ("-5", "a percentage above 0% and below 100%"),
        ("abc", "A percentage such as 99.9."),
        ("NaN", "A percentage such as 99.9."),
        ("99.12345678", "At most 6 decimal places"),
    ],
)
def test_bad_targets_are_explained_in_percent(admin, target, message):
    response = _post(admin, reverse("slo:create"), BASE | {"target": target} | _rows(("page", "1h", "5m", "14.4")))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SLO.objects.exists()


@pytest.mark.parametrize(
    ("form_patch", "sli_kind", "sli", "field"),
    [
        ({"ratio_total_selector": "x{"}, "ratio", {"bad": BASE["ratio_numerator_selector"], "total": "x{"}, "total"),
        (  # RE2 syntax, as Prometheus: no look-ahead
            {"ratio_numerator_selector": 'x{code=~"(?=5)5.."}'},
            "ratio",
            {"bad": 'x{code=~"(?=5)5.."}', "total": BASE["ratio_total_selector"]},
            "bad",
        ),
        (
            {"sli_kind": "latency", "latency_selector": 'h_bucket{le="0.5"}', "latency_threshold": "0.5"},
            "latency",
            {"selector": 'h_bucket{le="0.5"}', "threshold": "0.5"},
            "selector",
        ),
    ],
)
def test_a_bad_selector_is_explained_alike_by_the_form_and_the_api(admin, token_client, form_patch, sli_kind, sli,
                                                                     field):  # fmt: skip
    """One validation (``slo.domain.spec.sli_validate`` through ``slo.services.slo_clean``) for both: the form shows
    the API's words for the field, on the field."""
    api = token_client(role="admin", scopes=("read", "write"))
    answer = api.post("/api/v1/slos/", {"service": "checkout", "name": "s", "sli_kind": sli_kind, "sli": sli},
                      format="json")  # fmt: skip
    assert answer.status_code == 400, answer.json()
    messages = answer.json()["error"]["fields"][f"sli.{field}"]
    page = _post(admin, reverse("slo:create"), BASE | form_patch | _rows(("page", "1h", "5m", "14.4")))
    assert page.status_code == 400
    text = page.content.decode()
    widget = {"total": "ratio_total_selector", "bad": "ratio_numerator_selector", "selector": "latency_selector"}
    block = text.split(f'data-slo-field="{widget[field]}"')[1].split("data-slo-field=")[0]
    assert messages and all(f'<p class="field-error" role="alert">{escape(m)}</p>' in block for m in messages)
    assert not SLO.objects.exists()


def test_policy_rows_round_trip(admin):
    rows = _rows(("page", "1h", "5m", "14.4"), ("ticket", "3d", "6h", "1"))
    rows |= {"policy-0-name": "fast", "policy-5-long_window": "", "policy-5-factor": ""}  # an emptied row: removed
    assert _post(admin, reverse("slo:create"), BASE | rows).status_code == 302
    slo = SLO.objects.get(name="co-avail")
    assert [(c["name"], c["severity"], c["long_window"], c["short_window"], c["factor"]) for c in slo.alert_policy] == [
        ("fast", "page", "1h", "5m", "14.4"),
        ("condition-1", "ticket", "3d", "6h", "1"),
    ]
    page = admin.get(reverse("slo:edit", args=[slo.pk])).content.decode()
    assert 'name="policy-0-name" value="fast"' in page and 'name="policy-1-long_window" value="3d"' in page
    assert 'name="policy-2-long_window" value=""' in page and 'name="policy-3-factor" value=""' in page  # blank rows
    assert 'name="policy-4-' not in page
    # edit: drop the first row (emptied), add one in a blank row
    edit = BASE | _rows(("page", "", "", ""), ("ticket", "3d", "6h", "1"), ("page", "6h", "30m", "6"))
    edit["policy-1-name"] = "condition-2"
    assert _post(admin, reverse("slo:edit", args=[slo.pk]), edit).status_code == 302
    slo.refresh_from_db()
    assert [(c["long_window"], c["factor"]) for c in slo.alert_policy] == [("3d", "1"), ("6h", "6")]
    # no rows at all: an SLO that never alerts
    assert _post(admin, reverse("slo:edit", args=[slo.pk]), BASE).status_code == 302
    slo.refresh_from_db()
    assert slo.alert_policy == []


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (_rows(("page", "1h", "", "14.4")), "Fill in short window (or empty the row)."),
        (_rows(("page", "1h", "5m", "lots")), "Factor: A positive burn-rate factor such as 14.4."),
        (_rows(("page", "5m", "1h", "14.4")), "Row 1"),
        (_rows(("page", "1h", "5m", "14.4"), ("urgent", "6h", "30m", "6")), "Severity: page or ticket."),
        (_rows(("page", "1 hour", "5m", "2")), "Row 1"),
    ],
)
def test_bad_policy_rows_are_errors_on_their_row(admin, rows, message):
    response = _post(admin, reverse("slo:create"), BASE | rows)
    body = response.content.decode()
    assert response.status_code == 400, body[:2000]
    assert message in body
    assert not SLO.objects.exists()
    assert 'name="policy-0-long_window" value="' + rows["policy-0-long_window"] + '"' in body  # what was typed stays


def test_preview_takes_the_target_in_percent(admin):
    from django.utils import timezone

    now = timezone.now()
    push(traffic(service="checkout", now=now, minutes=60, ok=99, errors=1), now=now)
    body = _post(admin, reverse("slo:preview"), BASE | {"target": "98.5"}, get_url=reverse("slo:create")).content
    assert "meets" in body.decode() and "98.500%" in body.decode()
    assert "compares with 99.9%" not in body.decode()
    junk = _post(admin, reverse("slo:preview"), BASE | {"target": "1e999"}, get_url=reverse("slo:create"))
    assert junk.status_code == 200 and "99.900%" in junk.content.decode()
    assert "Target: A percentage such as 99.9. The preview compares with 99.9%" in junk.content.decode()


# --- suggestions ----------------------------------------------------------------------------------------------


@pytest.fixture
def stored(db):
    from django.utils import timezone

    now = timezone.now()
    push(traffic(service="checkout", now=now, minutes=2, ok=1, errors=1), now=now)
    push(traffic(service="search", now=now, minutes=2, ok=1, errors=0), now=now)
    samples = [{"metric": f"app_metric_{i:02d}_total", "labels": {"service": "x"}, "value": 1,
                "timestamp": now.timestamp(), "kind": "delta"} for i in range(40)]  # fmt: skip
    samples.append({"metric": "total_latency_seconds", "labels": {"service": "x"}, "value": 1,
                    "timestamp": now.timestamp(), "kind": "delta"})  # fmt: skip
    push(samples, now=now)


def test_suggestions_of_metric_names_labels_and_values(session_client, stored):
    client = session_client("viewer")
    url = reverse("slo:suggest")
    assert client.get(url, {"kind": "metric", "q": "http_req"}).json()["suggestions"] == ["http_requests_total"]
    labels = client.get(url, {"kind": "label", "metric": "http_requests_total", "q": ""}).json()["suggestions"]
    assert labels == ["code", "service"]
    values = client.get(url, {"kind": "value", "metric": "http_requests_total", "label": "service", "q": "che"})
    assert values.json()["suggestions"] == ["checkout"]
    many = client.get(url, {"kind": "metric", "q": "app_metric"}).json()["suggestions"]
    assert len(many) == 20 and many[0] == "app_metric_00_total"
    assert len(client.get(url, {"kind": "metric", "q": "", "limit": "5"}).json()["suggestions"]) == 5
    assert len(client.get(url, {"kind": "metric", "q": "", "limit": "5000"}).json()["suggestions"]) == 42
    # names starting with the text come first, even when many names before them contain it
    assert client.get(url, {"kind": "metric", "q": "total", "limit": "2"}).json()["suggestions"] == [
        "total_latency_seconds",
        "app_metric_00_total",
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "nope"},
        {"kind": "label"},
        {"kind": "value", "metric": "http_requests_total"},
        {"kind": "metric", "limit": "ten"},
        {"kind": "metric", "q": "x" * 5000},
        {"kind": "metric", "q": "%' OR 1=1 --"},
        {"kind": "value", "metric": "\x00", "label": "\u202e", "q": "(?i"},
    ],
)
def test_suggestions_never_fail_on_junk(session_client, stored, params):
    response = session_client("viewer").get(reverse("slo:suggest"), params)
    assert response.status_code in (200, 400)
    body = response.json()
    assert ("error" in body) == (response.status_code == 400)


def test_suggestions_need_a_login(client, stored):
    response = client.get(reverse("slo:suggest"), {"kind": "metric", "q": "http"})
    assert response.status_code in (302, 403) and b"http_requests_total" not in response.content


def test_form_offers_suggestions_only_to_admins(session_client):
    SLOFactory(service=ServiceFactory(name="checkout"))
    admin_page = session_client("admin").get(reverse("slo:create")).content.decode()
    assert 'data-suggest-url="/slos/suggest/"' in admin_page and 'data-suggest="selector"' in admin_page
    assert session_client("viewer").get(reverse("slo:create")).status_code == 403
