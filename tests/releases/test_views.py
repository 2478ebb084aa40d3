"""The Releases pages for each role: what they show, the actions each role is offered (and refused), writes
through the pages going through the same services, and the release markers on the SLO pages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from releases.models import BudgetPolicy, Deployment, GateOverride
from releases.services.deployments import deployment_record
from releases.services.gate import override_create
from sre.choices import Role
from tests.releases.conftest import set_consumed

pytestmark = pytest.mark.django_db


def csrf_post(client: Client, url: str, data: dict | None = None):
    client.get("/releases/")
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)


@pytest.fixture
def frozen(checkout, slo):
    set_consumed(slo, 150, at=timezone.now())
    return checkout


def test_the_empty_index_says_what_to_do(session_client):
    page = session_client(Role.VIEWER).get("/releases/")
    assert page.status_code == 200
    assert b"No services yet" in page.content and b"No deployments recorded" in page.content


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER, Role.ADMIN])
def test_every_role_reads_the_gates_and_sees_only_its_actions(session_client, frozen, role):
    client = session_client(role)
    deployment = deployment_record(service=frozen, version="9.9.9", now=timezone.now())
    index = client.get("/releases/").content.decode()
    assert 'data-testid="gates"' in index and '<span class="pill bad">deny</span>' in index
    assert "checkout-availability" in index and "9.9.9" in index
    page = client.get(f"/releases/services/{frozen.pk}/").content.decode()
    assert 'data-testid="gate-decision">deny' in page and "150.0% of the budget consumed" in page
    assert ("Override the gate" in page) is (role != Role.VIEWER)
    assert ("data-confirm=" in page) is (role != Role.VIEWER)
    assert ("Set the service's policy" in page) is (role == Role.ADMIN)
    assert ("Override for this SLO" in page) is (role == Role.ADMIN)
    deployments = client.get("/releases/deployments/").content.decode()
    assert ("Record a deployment" in deployments) is (role != Role.VIEWER)
    assert client.get(f"/releases/deployments/{deployment.pk}/").status_code == 200


def test_a_responder_overrides_through_the_page_and_can_revoke(session_client, frozen):
    client = session_client(Role.RESPONDER)
    response = csrf_post(client, f"/releases/services/{frozen.pk}/overrides/", {"reason": "hotfix", "hours": "2"})
    assert response.status_code == 302
    override = GateOverride.objects.get()
    assert override.created_by == client.user and override.reason == "hotfix"
    assert override.expires_at - override.created_at == dt.timedelta(hours=2)
    page = client.get(f"/releases/services/{frozen.pk}/").content.decode()
    assert "Frozen by the budget, but <strong>overridden</strong>" in page and "Revoke" in page
    assert csrf_post(client, f"/releases/overrides/{override.pk}/revoke/").status_code == 302
    override.refresh_from_db()
    assert override.revoked_by == client.user


def test_an_override_without_a_reason_is_shown_back_with_the_error(session_client, frozen):
    response = csrf_post(session_client(Role.RESPONDER), f"/releases/services/{frozen.pk}/overrides/",
                         {"reason": "", "hours": "2"})  # fmt: skip
    assert response.status_code == 400 and b"This field is required" in response.content
    assert not GateOverride.objects.exists()


def test_a_viewer_may_not_override_or_revoke(session_client, frozen):
    viewer = session_client(Role.VIEWER)
    page = viewer.get(f"/releases/services/{frozen.pk}/").content.decode()
    assert "Override until then" not in page and "Responders and admins can override the gate." in page
    assert (
        csrf_post(viewer, f"/releases/services/{frozen.pk}/overrides/", {"reason": "x", "hours": "1"}).status_code
        == 403
    )
    override = override_create(service=frozen, reason="r", expires_at=timezone.now() + dt.timedelta(hours=1),
                               user=None, now=timezone.now())  # fmt: skip
    assert csrf_post(viewer, f"/releases/overrides/{override.pk}/revoke/").status_code == 403
    assert not GateOverride.objects.filter(revoked_at__isnull=False).exists()


def test_an_admin_edits_the_service_policy_and_an_slo_policy(session_client, frozen, slo):
    admin = session_client(Role.ADMIN)
    form = admin.get(f"/releases/services/{frozen.pk}/policy/")
    assert form.status_code == 200 and b"80, 95, 100" in form.content
    bad = csrf_post(admin, f"/releases/services/{frozen.pk}/policy/", {
        "thresholds": "80, 80", "freeze_on_exhaustion": "on", "release_burn_factor": "10",
        "release_watch_minutes": "60", "release_min_bad_events": "10", "rollback_webhook_url": "",
    })  # fmt: skip
    assert bad.status_code == 400 and b"Each threshold once" in bad.content
    ok = csrf_post(admin, f"/releases/services/{frozen.pk}/policy/", {
        "thresholds": "50%, 99.5", "release_burn_factor": "14.4", "release_watch_minutes": "30",
        "release_min_bad_events": "5", "rollback_webhook_url": "",
    })  # fmt: skip
    assert ok.status_code == 302
    policy = BudgetPolicy.objects.get()
    assert policy.thresholds == [50, 99.5] and not policy.freeze_on_exhaustion
    page = admin.get(f"/releases/services/{frozen.pk}/").content.decode()
    assert "50%, 99.5%" in page and "<strong>no freeze</strong>" in page
    assert 'data-testid="gate-decision">allow' in page  # the freeze is off now
    slo_form = csrf_post(admin, f"/releases/slos/{slo.pk}/policy/", {
        "thresholds": "90", "freeze_on_exhaustion": "on", "release_burn_factor": "10",
        "release_watch_minutes": "60", "release_min_bad_events": "10",
    })  # fmt: skip
    assert slo_form.status_code == 302 and BudgetPolicy.objects.filter(slo=slo).exists()
    slo_policy = BudgetPolicy.objects.get(slo=slo)
    assert admin.get(f"/releases/policies/{slo_policy.pk}/delete/").status_code == 200
    assert csrf_post(admin, f"/releases/policies/{slo_policy.pk}/delete/").status_code == 302
    assert not BudgetPolicy.objects.filter(slo=slo).exists()


def test_policy_pages_are_for_admins(session_client, frozen, slo):
    responder = session_client(Role.RESPONDER)
    for path in (f"/releases/services/{frozen.pk}/policy/", f"/releases/slos/{slo.pk}/policy/"):
        response = responder.get(path)
        assert response.status_code == 403 and "This page needs the admin role." in response.content.decode(), path


def test_a_responder_records_a_deployment_by_hand(session_client, frozen):
    client = session_client(Role.RESPONDER)
    bad = csrf_post(client, "/releases/deployments/", {"service": "checkout", "version": "1", "url": "javascript:x"})
    assert bad.status_code == 400 and b"http" in bad.content and not Deployment.objects.exists()
    ok = csrf_post(client, "/releases/deployments/", {"service": "checkout", "version": "1.2", "url": ""})
    assert ok.status_code == 302
    deployment = Deployment.objects.get()
    assert deployment.created_by == client.user
    page = client.get(ok["Location"]).content.decode()
    assert 'data-testid="watch-state">Watching' in page and "checkout-availability" in page


def test_the_slo_page_draws_release_markers_and_shows_the_gate(session_client, frozen, slo):
    deployment = deployment_record(service=frozen, version="3.1.4", now=timezone.now() - dt.timedelta(hours=2))
    deployment_record(service=frozen, version="too-old", at=timezone.now() - dt.timedelta(days=40), now=timezone.now())
    page = session_client(Role.VIEWER).get(f"/slos/{slo.pk}/").content.decode()
    charts = json.loads(re.search(r'<script id="slo-charts" type="application/json">(.*?)</script>', page, re.S)[1])
    assert [m["version"] for m in charts["releases"]] == ["3.1.4"]  # only those in the SLO's window
    assert charts["releases"][0]["href"] == f"/releases/deployments/{deployment.pk}/"
    assert 'data-testid="slo-releases"' in page and 'data-testid="gate-decision">deny' in page
    service = session_client(Role.VIEWER).get(f"/slos/services/{frozen.pk}/").content.decode()
    assert 'data-testid="service-releases"' in service and "3.1.4" in service


def test_pages_stay_within_a_query_bound(session_client, frozen, django_assert_max_num_queries):
    from tests.releases.factories import DeploymentFactory

    for index in range(30):
        DeploymentFactory(service=frozen, version=f"v{index}")
    client = session_client(Role.ADMIN)
    client.get("/releases/")  # the session and role are read once per client
    for path in ("/releases/", f"/releases/services/{frozen.pk}/", "/releases/deployments/"):
        with django_assert_max_num_queries(16):  # 7 to 15 whatever the number of rows
            assert client.get(path).status_code == 200
