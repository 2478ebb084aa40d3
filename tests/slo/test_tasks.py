"""The evaluation beat task: scheduled at the configured interval, works when called, harmless twice,
and runs in a real Celery worker."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from slo import tasks
from slo.models import SLO, SLOSnapshot
from tests.slo.conftest import push, traffic
from tests.slo.factories import ServiceFactory, SLOFactory
from tests.support.celery_worker import celery_worker
from tests.support.servers import wait_for


def test_beat_schedule_uses_the_interval_setting():
    entry = settings.CELERY_BEAT_SCHEDULE["slo-evaluate"]
    assert entry["task"] == "slo.evaluate"
    assert entry["schedule"] == float(settings.SRE["SLO_EVALUATION_INTERVAL"]) == 60.0


def test_interval_is_configurable_down_to_ten_seconds():
    from sre.env import Env

    assert Env({"SRE_SLO_EVALUATION_INTERVAL": "10"}).int("SRE_SLO_EVALUATION_INTERVAL", 60, minimum=10) == 10
    with pytest.raises(Exception, match="SRE_SLO_EVALUATION_INTERVAL"):
        Env({"SRE_SLO_EVALUATION_INTERVAL": "5"}).int("SRE_SLO_EVALUATION_INTERVAL", 60, minimum=10)


@pytest.mark.django_db
def test_task_body_and_running_twice():
    now = timezone.now()
    push(traffic(service="a", now=now, minutes=10, ok=100, errors=1), now=now)
    slo = SLOFactory(service=ServiceFactory(name="a"))
    first = tasks.evaluate()
    assert first["evaluated"] == 1
    tasks.evaluate()
    slo.refresh_from_db()
    assert slo.status["data_state"] == "ok"
    assert SLOSnapshot.objects.filter(slo=slo).count() in (1, 2)  # a second run in the same second is skipped
    assert tasks.retention() == 0


@pytest.mark.integration
def test_real_worker_evaluates(transactional_db):
    now = timezone.now()
    push(traffic(service="a", now=now, minutes=10, ok=100, errors=1), now=now)
    slo = SLOFactory(service=ServiceFactory(name="a"))
    with celery_worker(broker_url="filesystem://") as producer:
        producer.send_task("slo.evaluate")
        wait_for(lambda: SLOSnapshot.objects.filter(slo=slo).exists(), timeout=60, what="an SLO snapshot")
    assert SLO.objects.get(pk=slo.pk).status["data_state"] == "ok"
