"""The ``make run`` demo: once the demo traffic is evaluated, checkout's spent budget makes its deploy gate say
``deny`` (API and page), its watched release fires ReleaseBurn once, payments-api is overridden, search only gets
notices; seeding twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Alert
from releases.models import BudgetPolicy, Deployment, GateOverride
from releases.services import releases_evaluate
from slo.services import slo_evaluate_all
from sre.choices import Role
from sre.demo.services import demo_traffic_push

pytestmark = pytest.mark.django_db


def test_the_demo_freezes_checkout(token_client, session_client):
    call_command("seed_demo", history_days=0)
    call_command("seed_demo", history_days=0)  # idempotent
    assert Deployment.objects.count() == 4 and GateOverride.objects.count() == 1 and BudgetPolicy.objects.count() == 1
    now = timezone.now().replace(microsecond=0)
    demo_traffic_push(now=now)
    slo_evaluate_all(now=now)
    stats = releases_evaluate(now=now)
    assert stats["watch"]["fired"] == 1

    body = token_client(Role.VIEWER, scopes=("read",)).get("/api/v1/deploy-gate?service=checkout").json()
    assert body["decision"] == "deny"
    assert "checkout-latency-1s" in {r["slo"] for r in body["reasons"]}
    payments = token_client(Role.VIEWER, scopes=("read",)).get("/api/v1/deploy-gate?service=payments-api").json()
    assert payments["decision"] == "allow" and payments["override"] is not None
    search = token_client(Role.VIEWER, scopes=("read",)).get("/api/v1/deploy-gate?service=search").json()
    assert search["decision"] == "allow" and search["reasons"] == []  # notices only: never frozen

    (burn,) = Alert.objects.filter(labels__alertname="ReleaseBurn")
    assert burn.labels["service"] == "checkout" and burn.labels["version"] == "2026.12.2"
    assert Alert.objects.filter(labels__alertname="ErrorBudgetThreshold", labels__threshold="100%").exists()
    assert releases_evaluate(now=now)["watch"]["fired"] == 0

    page = session_client(Role.VIEWER).get("/releases/")
    assert page.status_code == 200 and b'data-testid="gates"' in page.content
