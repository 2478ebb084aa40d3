"""factory_boy factories of the drills app."""

from __future__ import annotations

import factory
from django.utils import timezone

from drills.choices import BackupMode, CheckKind, RunStatus, TargetKind
from drills.models import BackupTarget, DrillRun, VerificationCheck


class BackupTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BackupTarget

    name = factory.Sequence(lambda n: f"target-{n}")
    kind = TargetKind.SQLITE
    backup_mode = BackupMode.TAKE
    location = "/tmp/nowhere.sqlite3"


class VerificationCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerificationCheck

    target = factory.SubFactory(BackupTargetFactory)
    name = factory.Sequence(lambda n: f"check-{n}")
    kind = CheckKind.ROW_COUNT
    table = "items"
    min_rows = 1


class DrillRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DrillRun

    target = factory.SubFactory(BackupTargetFactory)
    status = RunStatus.PASSED
    queued_at = factory.LazyFunction(timezone.now)
    rto_target_seconds = 14400
    rpo_target_seconds = 900
    plan = factory.LazyAttribute(lambda o: {"target_name": o.target.name, "checks": []})
