"""The deploy gate from stored statuses: exhaustion denies with the reasons (SLO, consumption, since when);
an override lifts it until it expires or is revoked, and is audited; bad overrides are refused naming the field."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from releases.models import GateOverride
from releases.selectors import deploy_gate, deploy_gates
from releases.services.gate import override_create, override_revoke
from releases.services.notices import budget_notices_evaluate
from sre.audit.models import AuditEntry
from sre.choices import Role
from sre.errors import ConflictError, InvalidInputError
from tests.releases.conftest import NOW, set_consumed
from tests.releases.factories import BudgetPolicyFactory
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db


def test_exhaustion_denies_with_the_reasons_since_the_exhaustion_notice(checkout, slo):
    SLOFactory(service=checkout, name="checkout-latency")  # not evaluated yet: no data, never a reason
    set_consumed(slo, 80)
    assert deploy_gate(service=checkout, now=NOW).decision == "allow"
    set_consumed(slo, 130, at=NOW - dt.timedelta(hours=2))
    budget_notices_evaluate(now=NOW - dt.timedelta(hours=2))  # exhaustion first observed two hours ago
    set_consumed(slo, 140)
    budget_notices_evaluate(now=NOW)
    gate = deploy_gate(service=checkout, now=NOW)
    assert gate.decision == "deny"
    (reason,) = gate.reasons
    assert (reason.slo, reason.consumed_percent, reason.since) == (
        "checkout-availability",
        Fraction(140),
        NOW - dt.timedelta(hours=2),
    )


def test_exactly_100_percent_denies_and_a_policy_without_freeze_never_does(checkout, slo):
    set_consumed(slo, 100)
    assert deploy_gate(service=checkout, now=NOW).decision == "deny"
    BudgetPolicyFactory(service=checkout, freeze_on_exhaustion=False)
    assert deploy_gate(service=checkout, now=NOW).decision == "allow"


def test_override_lifts_the_freeze_until_it_expires_and_is_audited(checkout, slo, make_user):
    responder = make_user(Role.RESPONDER, username="rita")
    set_consumed(slo, 150)
    override = override_create(
        service=checkout, reason="  hotfix for card declines ", expires_at=NOW + dt.timedelta(hours=2),
        user=responder, now=NOW,
    )  # fmt: skip
    assert override.reason == "hotfix for card declines"
    gate = deploy_gate(service=checkout, now=NOW + dt.timedelta(minutes=5))
    assert gate.decision == "allow" and gate.frozen and gate.override.id == override.pk
    assert gate.override.created_by == "rita" and [r.slo for r in gate.reasons] == ["checkout-availability"]
    assert deploy_gate(service=checkout, now=NOW + dt.timedelta(hours=2)).decision == "deny"  # expired
    (entry,) = AuditEntry.objects.filter(object_model="gateoverride", action="create")
    assert entry.after["reason"] == "hotfix for card declines" and entry.object_pk == str(override.pk)


def test_revoke_ends_it_now_once_and_is_audited(checkout, slo, make_user):
    responder = make_user(Role.RESPONDER)
    set_consumed(slo, 150)
    override = override_create(service=checkout, reason="r", expires_at=NOW + dt.timedelta(hours=2), user=responder,
                               now=NOW)  # fmt: skip
    override_revoke(override=override, user=responder, now=NOW + dt.timedelta(minutes=1))
    assert deploy_gate(service=checkout, now=NOW + dt.timedelta(minutes=2)).decision == "deny"
    with pytest.raises(ConflictError, match="already revoked"):
        override_revoke(override=override, user=responder, now=NOW + dt.timedelta(minutes=3))
    (entry,) = AuditEntry.objects.filter(object_model="gateoverride", action="update")
    assert entry.after["revoked_by_id"] == responder.pk


def test_an_expired_override_cannot_be_revoked(checkout):
    override = override_create(service=checkout, reason="r", expires_at=NOW + dt.timedelta(hours=1), user=None,
                               now=NOW)  # fmt: skip
    with pytest.raises(ConflictError, match="expired"):
        override_revoke(override=override, user=None, now=NOW + dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("field", "reason", "expires_at"),
    [
        ("reason", "", NOW + dt.timedelta(hours=1)),
        ("reason", "   ", NOW + dt.timedelta(hours=1)),
        ("reason", None, NOW + dt.timedelta(hours=1)),
        ("reason", "x" * 1001, NOW + dt.timedelta(hours=1)),
        ("expires_at", "r", NOW),
        ("expires_at", "r", NOW - dt.timedelta(minutes=1)),
        ("expires_at", "r", NOW + dt.timedelta(days=31)),
        ("expires_at", "r", dt.datetime(2026, 3, 14, 13, 0)),  # naive
        ("expires_at", "r", "tomorrow"),
    ],
)
def test_bad_overrides_name_the_field_and_save_nothing(checkout, field, reason, expires_at):
    with pytest.raises(InvalidInputError) as caught:
        override_create(service=checkout, reason=reason, expires_at=expires_at, user=None, now=NOW)
    assert field in caught.value.fields
    assert not GateOverride.objects.exists()


def test_gates_of_many_services_in_a_constant_number_of_queries(django_assert_max_num_queries):
    services = [ServiceFactory(name=f"svc{i}") for i in range(20)]
    for service in services:
        set_consumed(SLOFactory(service=service), 120)
        override_create(service=service, reason="r", expires_at=NOW + dt.timedelta(hours=1), user=None, now=NOW)
    with django_assert_max_num_queries(5):
        gates = deploy_gates(services=services, now=NOW)
    assert {g.decision for g in gates.values()} == {"allow"} and all(g.frozen for g in gates.values())
