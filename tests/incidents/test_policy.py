"""Auto-open policy: a page-severity SLO burn alert on a tier-1 service opens an incident through the real
alerts intake (routing, grouping, flush, the ALERT_GROUP_HOOKS seam, the Celery task run eagerly)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import AlertGroup
from alerts.services import alert_raise
from incidents.models import Incident, IncidentAlertGroup
from incidents.policy import policy_evaluate, policy_sweep
from incidents.services import incident_acknowledge, incident_transition
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _burn(service: str, *, severity: str = "page", slo: str = "availability", status: str = "firing", when=None):
    return alert_raise(
        labels={"alertname": "SLOBurnRate", "service": service, "slo": f"{service}-{slo}", "severity": severity,
                "long_window": "1h", "short_window": "5m"},
        annotations={"summary": f"{service} is burning its error budget at 14.4x"},
        status=status, source="slo", now=when or timezone.now(),
    )  # fmt: skip


def test_page_burn_on_tier1_opens_one_incident_and_dedups(root_route) -> None:
    ServiceFactory(name="checkout", tier=1)
    _burn("checkout")
    incident = Incident.objects.get()
    assert incident.source == "policy" and incident.severity == "sev2" and incident.status == "triage"
    assert [s.name for s in incident.services.all()] == ["checkout"]
    assert "burning its error budget" in incident.title
    group = AlertGroup.objects.get()
    assert IncidentAlertGroup.objects.filter(incident=incident, group=group).exists()
    # Another SLO of the same service burns: a second group, linked to the same open incident.
    _burn("checkout", slo="latency")
    assert Incident.objects.count() == 1
    assert incident.alert_links.count() == 2
    # Re-evaluating is harmless.
    assert policy_evaluate(group_id=group.pk, now=timezone.now()) is None
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(("tier", "severity"), [(2, "page"), (1, "ticket")])
def test_lower_tier_or_ticket_severity_opens_nothing(root_route, tier: int, severity: str) -> None:
    ServiceFactory(name="search", tier=tier)
    _burn("search", severity=severity)
    assert not Incident.objects.exists()


def test_after_resolution_a_new_burn_opens_a_new_incident(root_route) -> None:
    ServiceFactory(name="payments-api", tier=1)
    t = timezone.now()
    _burn("payments-api", when=t)
    first = Incident.objects.get()
    incident_acknowledge(incident_id=first.pk, actor="r", now=t + timedelta(minutes=1))
    incident_transition(incident_id=first.pk, target="resolved", actor="r", now=t + timedelta(minutes=5))
    _burn("payments-api", status="resolved", when=t + timedelta(minutes=6))
    _burn("payments-api", slo="latency", when=t + timedelta(minutes=10))
    assert Incident.objects.count() == 2


def test_acknowledging_the_incident_acknowledges_its_alert_groups(root_route, make_user) -> None:
    ServiceFactory(name="checkout", tier=1)
    _burn("checkout")
    incident = Incident.objects.get()
    user = make_user("responder", username="rita")
    incident_acknowledge(incident_id=incident.pk, actor="rita", user=user, now=timezone.now())
    group = AlertGroup.objects.get()
    assert group.acknowledged_by == "rita" and group.state == "acknowledged"
    incident.refresh_from_db()
    assert incident.commander == user and incident.status == "investigating"
    from incidents.selectors import incident_timeline

    kinds = {item.kind for item in incident_timeline(incident=incident)}
    assert {"created", "alert_linked", "alert_fired", "notification", "acknowledge", "status", "role"} <= kinds


def test_disabled_policy_and_sweep(root_route) -> None:
    from incidents.models import IncidentPolicy

    IncidentPolicy.objects.update(enabled=False)
    ServiceFactory(name="checkout", tier=1)
    _burn("checkout")
    assert not Incident.objects.exists()
    IncidentPolicy.objects.update(enabled=True)
    assert policy_sweep(now=timezone.now()) == 1
    assert policy_sweep(now=timezone.now()) == 0
    assert Incident.objects.count() == 1


def test_hook_failure_never_breaks_alert_intake(root_route, monkeypatch) -> None:
    from incidents.tasks import policy_evaluate_task

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(policy_evaluate_task, "delay", broken)
    ServiceFactory(name="checkout", tier=1)
    alert = _burn("checkout")
    assert alert.pk and AlertGroup.objects.count() == 1
    assert not Incident.objects.exists()


def test_hook_enqueues_only_for_groups_a_policy_could_match(root_route, monkeypatch) -> None:
    from incidents.tasks import policy_evaluate_task

    sent = []
    monkeypatch.setattr(policy_evaluate_task, "delay", lambda group_id: sent.append(group_id))
    ServiceFactory(name="checkout", tier=1)
    alert_raise(labels={"alertname": "DiskFull", "service": "checkout", "severity": "warning"}, annotations={},
                status="firing", source="test", now=timezone.now())  # fmt: skip
    assert sent == []  # the default policy wants severity=page and an slo label
    _burn("checkout")
    assert len(sent) == 1


def test_reopening_an_old_policy_incident_while_a_new_one_is_open(root_route) -> None:
    ServiceFactory(name="checkout", tier=1)
    t = timezone.now()
    _burn("checkout", when=t)
    old = Incident.objects.get()
    incident_transition(incident_id=old.pk, target="resolved", actor="r", now=t + timedelta(minutes=5))
    _burn("checkout", status="resolved", when=t + timedelta(minutes=6))
    _burn("checkout", slo="latency", when=t + timedelta(minutes=10))
    new = Incident.objects.exclude(pk=old.pk).get()
    reopened = incident_transition(incident_id=old.pk, target="investigating", actor="r", now=t + timedelta(minutes=11))
    assert reopened.status == "investigating" and reopened.dedup_key == ""
    new.refresh_from_db()
    assert new.dedup_key.startswith("policy:") and new.is_open


def test_policy_saved_or_deleted_here_takes_effect_at_once(root_route, monkeypatch) -> None:
    """The pre-check's cached matchers are dropped by the policy services themselves (no 5 s wait)."""
    from incidents.policy import enabled_matchers
    from incidents.services import policy_delete, policy_save
    from incidents.tasks import policy_evaluate_task

    sent = []
    monkeypatch.setattr(policy_evaluate_task, "delay", lambda group_id: sent.append(group_id))
    enabled_matchers()  # cached: only the default policy
    warning = {"service": "db", "severity": "warning"}
    policy = policy_save(policy=None, data={"name": "warnings", "matchers": ["severity=warning"], "severity": "sev3"})
    alert_raise(
        labels={"alertname": "DiskFull", **warning}, annotations={}, status="firing", source="t", now=timezone.now()
    )
    assert len(sent) == 1
    policy_delete(policy_id=policy.pk)
    alert_raise(
        labels={"alertname": "MemFull", **warning}, annotations={}, status="firing", source="t", now=timezone.now()
    )
    assert AlertGroup.objects.count() == 2 and len(sent) == 1
