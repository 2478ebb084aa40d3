"""The same SLO name in two services, end to end: the API creates both (a repeat within a service is a
conflict), burn alerts of each land in their own alert group (the default route groups by alertname,
service and slo), each SLO page shows its own alerts, notification links and the status page name the
right SLO, links by a bare name that is ambiguous are refused (never a 500), the rule exports differ."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertGroup, Route
from alerts.services.intake import routing_ensure_default
from slo.models import SLO
from slo.services import slo_evaluate_all
from statuspage.services.components import component_statuses_refresh
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db
SERVICES = ("checkout", "search")


@pytest.fixture
def admin(token_client):
    return token_client(role="admin", scopes=("read", "write"))


def _ratio(service: str) -> dict:
    return {"bad": f'http_requests_total{{service="{service}", code=~"5.."}}',
            "total": f'http_requests_total{{service="{service}"}}'}  # fmt: skip


def _burn(services, now) -> None:
    for service in services:  # 20% errors over the last 90 minutes: every page condition fires
        push(traffic(service=service, now=now, minutes=90, ok=800, errors=200), now=now)


@pytest.fixture
def two_availabilities(admin):
    for service in SERVICES:
        assert admin.post("/api/v1/services/", {"name": service}, format="json").status_code == 201
        created = admin.post("/api/v1/slos/", {"service": service, "name": "availability", "sli_kind": "ratio",
                                               "sli": _ratio(service)}, format="json")  # fmt: skip
        assert created.status_code == 201, created.json()
    return {s.service.name: s for s in SLO.objects.select_related("service")}


def test_a_name_repeats_across_services_not_within_one(admin, two_availabilities):
    again = admin.post("/api/v1/slos/", {"service": "checkout", "name": "availability", "sli_kind": "ratio",
                                         "sli": _ratio("checkout")}, format="json")  # fmt: skip
    assert again.status_code == 409, again.json()
    assert "availability" in str(again.json()) and SLO.objects.count() == 2
    listed = admin.get("/api/v1/slos/?service=search").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["service"], r["name"]) for r in rows] == [("search", "availability")]


def test_burn_alerts_of_each_land_in_their_own_group_and_page(admin, session_client, two_availabilities):
    now = timezone.now().replace(microsecond=0)
    _burn(SERVICES, now)
    stats = slo_evaluate_all(now=now)
    assert stats["raised"] >= 2
    groups = {(g.group_labels.get("service"), g.group_labels.get("slo")) for g in AlertGroup.objects.all()}
    assert groups == {("checkout", "availability"), ("search", "availability")}
    for service, slo in two_availabilities.items():
        slo.refresh_from_db()
        assert slo.burn_alerts and {labels["service"] for labels in slo.burn_alerts} == {service}
        status = admin.get(f"/api/v1/slos/{slo.pk}/status").json()
        assert status["service"] == service and status["alerts"]

    client = session_client("viewer")
    checkout, search = two_availabilities["checkout"], two_availabilities["search"]
    page = client.get(reverse("slo:detail", args=[checkout.pk])).content.decode()
    assert "checkout" in page
    from slo.selectors import slo_firing_alerts

    assert {a.labels["service"] for a in slo_firing_alerts(checkout)} == {"checkout"}
    assert {a.labels["service"] for a in slo_firing_alerts(search)} == {"search"}
    # the link notifications carry (alerts.services.notify): ?service=&slo= opens that SLO
    link = client.get("/slos/?service=search&slo=availability")
    assert link.status_code == 302 and link["Location"] == reverse("slo:detail", args=[search.pk])
    assert client.get("/slos/?slo=availability").status_code == 200  # ambiguous: the list


def test_status_page_links_by_service_and_name(admin, two_availabilities):
    url = "/api/v1/statuspage/components/"
    ambiguous = admin.post(url, {"name": "Search", "slos": ["availability"], "status_from_slo_burn": True},
                           format="json")  # fmt: skip
    assert ambiguous.status_code == 400, ambiguous.content
    assert "checkout/availability" in str(ambiguous.json()) and "search/availability" in str(ambiguous.json())
    created = admin.post(url, {"name": "Search", "slos": ["search/availability"], "status_from_slo_burn": True},
                         format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["slos"] == ["search/availability"]
    by_id = admin.post(url, {"name": "Checkout", "slos": [two_availabilities["checkout"].pk]}, format="json")
    assert by_id.status_code == 201 and by_id.json()["slos"] == ["checkout/availability"]
    assert admin.post(url, {"name": "X", "slos": ["nope/availability"]}, format="json").status_code == 400

    now = timezone.now().replace(microsecond=0)
    _burn(["checkout"], now)  # only checkout burns: the component linked to search's SLO stays operational
    slo_evaluate_all(now=now)
    component_statuses_refresh(now=now)
    body = admin.get(f"{url}{created.json()['id']}/").json()
    assert body["status"] == "operational"


def test_status_page_admin_names_and_links_each_services_slo(session_client, two_availabilities):
    from statuspage.models import Component

    search = two_availabilities["search"]
    component = Component.objects.create(name="Search")
    component.slos.set([search])
    client = session_client("admin")
    page = client.get(reverse("statuspage:index")).content.decode()
    assert f'href="{reverse("slo:detail", args=[search.pk])}">search/availability</a>' in page
    form = client.get(reverse("statuspage:component-edit", args=[component.pk])).content.decode()
    assert "checkout / availability" in form and "search / availability" in form


def test_a_unique_name_still_links_alone(admin):
    SLOFactory(service=ServiceFactory(name="checkout"), name="checkout-availability")
    created = admin.post("/api/v1/statuspage/components/", {"name": "C", "slos": ["checkout-availability"]},
                         format="json")  # fmt: skip
    assert created.status_code == 201 and created.json()["slos"] == ["checkout/checkout-availability"]


def test_budget_policy_names_the_slo_within_its_service(admin, two_availabilities):
    response = admin.post("/api/v1/budget-policies", {"service": "search", "slo": "availability"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["service"], response.json()["slo"]) == ("search", "availability")
    from releases.models import BudgetPolicy

    assert BudgetPolicy.objects.get().slo_id == two_availabilities["search"].pk


def test_rule_exports_do_not_collide(admin, two_availabilities):
    names = set()
    for slo in two_availabilities.values():
        text = admin.get(f"/api/v1/slos/{slo.pk}/prometheus-rules").content.decode()
        groups = yaml.safe_load(text)["groups"]
        names |= {g["name"] for g in groups}
        assert f'service="{slo.service.name}", slo="availability"' in groups[1]["rules"][0]["expr"]
    assert len(names) == 4


def test_two_slos_of_one_service_burning_make_two_groups():
    now = timezone.now().replace(microsecond=0)
    service = ServiceFactory(name="checkout")
    SLOFactory(service=service, name="availability")
    SLOFactory(service=service, name="availability-strict", target="0.9999")
    _burn(["checkout"], now)
    slo_evaluate_all(now=now)
    root = Route.objects.get(parent__isnull=True)
    assert root.group_by == ["alertname", "service", "slo"]
    assert {g.group_labels["slo"] for g in AlertGroup.objects.all()} == {"availability", "availability-strict"}


def test_a_configured_tree_keeps_its_grouping():
    """An operator's root route grouping by alertname only is left as it is: one group for both SLOs."""
    root = routing_ensure_default()
    root.group_by = ["alertname"]
    root.save()
    now = timezone.now().replace(microsecond=0)
    service = ServiceFactory(name="checkout")
    SLOFactory(service=service, name="availability")
    SLOFactory(service=service, name="availability-strict", target="0.9999")
    _burn(["checkout"], now)
    slo_evaluate_all(now=now)
    assert AlertGroup.objects.count() == 1
