"""The demo: SLOs on the generator's traffic; the burning one pages at the first evaluation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from alerts.models import Alert
from slo.demo import DEMO_SLOS, slo_demo_seed
from slo.models import SLO
from slo.services import slo_evaluate_all
from sre.demo.services import demo_seed, demo_traffic_push

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_keeps_edits():
    demo_seed(password="x")
    assert SLO.objects.count() == len(DEMO_SLOS)
    SLO.objects.filter(name="checkout-availability").update(description="edited")
    assert slo_demo_seed() == 0
    demo_seed(password="x")
    assert SLO.objects.count() == len(DEMO_SLOS)
    assert SLO.objects.get(name="checkout-availability").description == "edited"


def test_demo_traffic_burns_the_fast_burning_slo_into_the_alerts_ledger():
    demo_seed(password="x")
    now = timezone.now().replace(microsecond=0)
    demo_traffic_push(now=now)
    slo_evaluate_all(now=now)
    burning = SLO.objects.get(name="checkout-latency-1s")
    assert burning.status["data_state"] == "ok"
    assert burning.status["burn_rates"]["5m"] > 14.4
    pages = [a for a in Alert.objects.filter(status="firing") if a.labels.get("slo") == "checkout-latency-1s"]
    assert {a.labels["long_window"] for a in pages} >= {"1h"}
    states = dict(SLO.objects.values_list("name", "status__data_state"))
    assert states["checkout-availability"] == "ok" and states["notifications-error-logs"] == "ok"
    assert states["search-good-minutes"] == "ok" and states["search-latency-500ms"] == "ok"
