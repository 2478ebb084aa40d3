"""The Celery adapters: ``releases.evaluate`` runs the evaluation (twice is harmless), a burn queues the rollback
call on commit by name, and a call whose message was lost is queued again."""

from __future__ import annotations

import datetime as dt

import pytest

from releases import tasks
from releases.choices import RollbackState, WatchState
from releases.models import BudgetNotice
from releases.services.deployments import rollbacks_requeue
from sre.celery import app
from tests.releases.conftest import set_consumed
from tests.releases.factories import DeploymentFactory

pytestmark = pytest.mark.django_db


def test_the_beat_task_is_registered_under_the_name_beat_sends() -> None:
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["releases-evaluate"]["task"] == "releases.evaluate"
    assert "releases.evaluate" in app.tasks and "releases.rollback" in app.tasks


def test_evaluate_runs_and_a_second_run_sends_nothing(slo):
    from django.utils import timezone

    set_consumed(slo, 101, at=timezone.now())
    first = tasks.evaluate()
    second = tasks.evaluate()
    assert first["notices"]["opened"] == 3 and second["notices"]["opened"] == 0
    assert BudgetNotice.objects.count() == 3


def test_a_lost_rollback_message_is_queued_again_on_commit(checkout, monkeypatch, django_capture_on_commit_callbacks):
    now = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args: sent.append((name, args)))
    burning = {"service": checkout, "watch_state": WatchState.BURNING, "rollback_state": RollbackState.PENDING}
    lost = DeploymentFactory(**burning, release_burn_at=now - dt.timedelta(minutes=2))
    DeploymentFactory(**burning, release_burn_at=now)  # just queued: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert rollbacks_requeue(now=now) == 1
    assert sent == [("releases.rollback", [lost.pk])]


def test_the_rollback_task_of_a_vanished_deployment_is_a_logged_success() -> None:
    assert tasks.rollback_task(424242) == "gone"
