"""Budget policies: every field checked (400 naming it, nothing saved), one per service and per SLO (409), the
rollback webhook on the service's policy only, checked by the outbound guard, its secret encrypted and audited
as withheld."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from releases.models import BudgetPolicy
from releases.selectors import rules_for
from releases.services.policies import KEEP, policy_delete, policy_save
from sre.audit.models import AuditEntry
from sre.errors import ConflictError, InvalidInputError
from tests.slo.factories import ServiceFactory, SLOFactory

pytestmark = pytest.mark.django_db


def test_defaults_then_a_service_policy_then_an_slo_policy(checkout, slo):
    other = SLOFactory(service=checkout, name="other")
    assert rules_for(slos=[slo])[slo.pk].thresholds == (80, 95, 100)
    policy_save(policy=None, data={"service": checkout, "slo": None, "thresholds": [50, 99.5]})
    policy_save(policy=None, data={"service": checkout, "slo": other, "thresholds": [90],
                                   "freeze_on_exhaustion": False})  # fmt: skip
    rules = rules_for(slos=[slo, other])
    assert rules[slo.pk].thresholds == (50, Decimal("99.5")) and rules[slo.pk].freeze
    assert rules[other.pk].thresholds == (90,) and not rules[other.pk].freeze


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("thresholds", {"thresholds": []}),
        ("thresholds", {"thresholds": ["80"]}),
        ("thresholds", {"thresholds": [0]}),
        ("thresholds", {"thresholds": [80, 80]}),
        ("freeze_on_exhaustion", {"freeze_on_exhaustion": "yes"}),
        ("release_burn_factor", {"release_burn_factor": 0.5}),
        ("release_burn_factor", {"release_burn_factor": 1e9}),
        ("release_watch_minutes", {"release_watch_minutes": 0}),
        ("release_watch_minutes", {"release_watch_minutes": 1441}),
        ("release_min_bad_events", {"release_min_bad_events": 0}),
        ("rollback_webhook_url", {"rollback_webhook_url": "ftp://x.example.com"}),
        ("rollback_webhook_url", {"rollback_webhook_url": "http://127.0.0.1:9/hook"}),  # private: refused
        ("rollback_webhook_url", {"rollback_webhook_url": "http://10.0.0.1/hook"}),
    ],
)
def test_bad_values_name_the_field_and_save_nothing(checkout, field, data):
    with pytest.raises(InvalidInputError) as caught:
        policy_save(policy=None, data={"service": checkout, "slo": None, **data})
    assert field in caught.value.fields
    assert not BudgetPolicy.objects.exists()


def test_an_slo_of_another_service_and_a_webhook_on_an_slo_policy_are_refused(checkout, slo, settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    elsewhere = SLOFactory(service=ServiceFactory(name="search"))
    with pytest.raises(InvalidInputError) as caught:
        policy_save(policy=None, data={"service": checkout, "slo": elsewhere})
    assert set(caught.value.fields) == {"slo"}
    with pytest.raises(InvalidInputError) as caught:
        policy_save(policy=None, data={"service": checkout, "slo": slo, "rollback_webhook_url": "http://127.0.0.1/x"})
    assert set(caught.value.fields) == {"rollback_webhook_url"}


def test_one_policy_per_service_and_per_slo(checkout, slo):
    policy_save(policy=None, data={"service": checkout, "slo": None})
    policy_save(policy=None, data={"service": checkout, "slo": slo})
    with pytest.raises(ConflictError) as caught:
        policy_save(policy=None, data={"service": checkout, "slo": None})
    assert set(caught.value.fields) == {"service"}
    with pytest.raises(ConflictError) as caught:
        policy_save(policy=None, data={"service": checkout, "slo": slo})
    assert set(caught.value.fields) == {"slo"}
    assert BudgetPolicy.objects.count() == 2


def test_the_secret_is_encrypted_kept_removed_and_withheld_from_the_audit_trail(checkout, settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    policy = policy_save(policy=None, data={"service": checkout, "slo": None,
                                            "rollback_webhook_url": "http://127.0.0.1/x"}, secret="s3cret")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT rollback_webhook_secret FROM releases_budgetpolicy WHERE id = %s", [policy.pk])
        (stored,) = cursor.fetchone()
    assert stored and "s3cret" not in stored
    policy = policy_save(policy=policy, data={"release_watch_minutes": 30}, secret=KEEP)
    assert BudgetPolicy.objects.get().rollback_webhook_secret == "s3cret"
    (created,) = AuditEntry.objects.filter(object_model="budgetpolicy", action="create")
    assert created.after["rollback_webhook_secret"] == "***" and "s3cret" not in str(created.after)
    policy_save(policy=policy, data={}, secret="")
    assert BudgetPolicy.objects.get().rollback_webhook_secret == ""
    policy_delete(policy=policy)
    assert AuditEntry.objects.filter(object_model="budgetpolicy", action="delete").count() == 1
