"""``manage.py upgrade``: migrations, then the drill of the control plane's own database as a default of every
installation (issue 19: the product proves its own recoverability), scheduled, RTO 4 h and RPO 15 min."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from drills.choices import TargetKind
from drills.models import BackupTarget

pytestmark = pytest.mark.django_db(transaction=True)


def _upgrade() -> str:
    out = StringIO()
    call_command("upgrade", stdout=out, verbosity=0)
    return out.getvalue()


def test_upgrade_creates_the_scheduled_self_drill_once() -> None:
    assert not BackupTarget.objects.filter(kind=TargetKind.SELF).exists()
    said = _upgrade()
    target = BackupTarget.objects.get(kind=TargetKind.SELF)
    assert (target.name, target.enabled, target.builtin) == ("control-plane-db", True, True)
    assert (target.rto_target_seconds, target.rpo_target_seconds) == (4 * 3600, 15 * 60)
    assert target.schedule and target.periodic_task is not None and target.periodic_task.enabled
    assert target.checks.count() >= 3
    assert "RTO target 4 h, RPO target 15 min" in said and target.schedule in said
    _upgrade()
    assert BackupTarget.objects.filter(kind=TargetKind.SELF).count() == 1


def test_upgrade_leaves_an_edited_or_disabled_self_drill_as_it_is() -> None:
    _upgrade()
    BackupTarget.objects.filter(kind=TargetKind.SELF).update(enabled=False, rto_target_seconds=3600)
    said = _upgrade()
    target = BackupTarget.objects.get(kind=TargetKind.SELF)
    assert (target.enabled, target.rto_target_seconds) == (False, 3600)
    assert "disabled" in said
