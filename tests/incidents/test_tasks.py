"""Policy task: enqueued on commit by the alerts hook, the body works when called directly, twice is harmless."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.tasks import policy_evaluate_task, policy_sweep_task
from tests.incidents.factories import ServiceFactory


@pytest.mark.django_db
def test_hook_enqueues_on_commit_only(root_route, django_capture_on_commit_callbacks, monkeypatch) -> None:
    from alerts.services import alert_raise

    sent = []
    monkeypatch.setattr(policy_evaluate_task, "delay", lambda group_id: sent.append(group_id))
    ServiceFactory(name="checkout", tier=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alert_raise(labels={"alertname": "Burn", "service": "checkout", "slo": "a", "severity": "page"}, annotations={},
                    status="firing", source="slo", now=timezone.now())  # fmt: skip
        assert sent == []
    for callback in callbacks:
        callback()
    assert len(sent) == 1


@pytest.mark.django_db
def test_task_body_twice_is_harmless(root_route, monkeypatch) -> None:
    from alerts.models import AlertGroup
    from alerts.services import alert_raise

    monkeypatch.setattr(policy_evaluate_task, "delay", lambda group_id: None)
    ServiceFactory(name="checkout", tier=1)
    alert_raise(labels={"alertname": "Burn", "service": "checkout", "slo": "a", "severity": "page"}, annotations={},
                status="firing", source="slo", now=timezone.now())  # fmt: skip
    group = AlertGroup.objects.get()
    first = policy_evaluate_task.run(group.pk)
    second = policy_evaluate_task.run(group.pk)
    assert first == Incident.objects.get().pk and second is None
    assert policy_evaluate_task.run(987654) is None  # a vanished group is success
    assert policy_sweep_task.run() == 0


hook_calls: list[int] = []


def record_hook(*, group_id: int, firing_labels: list | None = None) -> None:
    hook_calls.append(group_id)


@pytest.mark.integration
def test_real_worker_opens_the_incident(transactional_db, root_route, settings) -> None:
    from alerts.models import AlertGroup
    from alerts.services import alert_raise
    from incidents.services.config import incident_defaults_ensure
    from tests.support.celery_worker import celery_worker
    from tests.support.servers import wait_for

    incident_defaults_ensure()
    settings.SRE = {**settings.SRE, "ALERT_GROUP_HOOKS": ["tests.incidents.test_tasks.record_hook"]}
    hook_calls.clear()
    ServiceFactory(name="checkout", tier=1)
    alert_raise(labels={"alertname": "Burn", "service": "checkout", "slo": "a", "severity": "page"}, annotations={},
                status="firing", source="slo", now=timezone.now())  # fmt: skip
    group = AlertGroup.objects.get()
    assert hook_calls == [group.pk]  # the hook ran after commit
    with celery_worker(broker_url="filesystem://") as producer:
        producer.send_task("incidents.policy_evaluate", args=[group.pk])
        producer.send_task("incidents.policy_evaluate", args=[group.pk])  # delivered twice: still one incident
        wait_for(lambda: Incident.objects.exists(), timeout=60, what="an incident opened by the worker")
    assert Incident.objects.count() == 1
    assert Incident.objects.get().alert_links.get().group_id == group.pk
