"""Command targets: user-given backup and restore commands with environment variables."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from drills.choices import CheckKind, RunStatus, RunTrigger
from drills.models import BackupTarget
from drills.services import check_create, drill_request, target_save
from sre.errors import ConflictError, InvalidInputError

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _command_targets_on(settings):
    """Command targets are off unless the installation opts in; these tests are about them."""
    settings.SRE = {**settings.SRE, "DRILL_COMMAND_TARGETS": True}


def test_backup_and_restore_commands_with_environment(run_drill, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "ledger.csv").write_text("a,1\nb,2\n")
    target = target_save(target=None, data={
        "name": "tarball", "kind": "command",
        "backup_command": 'tar -C "$SRC" -czf "$DRILL_BACKUP_DIR/backup.tgz" . '
                          '&& echo DRILL_BACKUP_TIME=2020-01-01T00:00:00Z',
        "restore_command": 'tar -C "$DRILL_RESTORE_DIR" -xzf "$DRILL_BACKUP_DIR/backup.tgz" && echo "token=$API_TOKEN"',
        "environment": f'{{"SRE": "x", "SRC": "{source}", "API_TOKEN": "s3cr3t-value"}}',
        "rpo_target_seconds": 10 ** 9,
    })  # fmt: skip
    check_create(target=target, data={"name": "ledger", "kind": CheckKind.FILE_CHECKSUM, "path": "ledger.csv",
                                      "expected": hashlib.sha256(b"a,1\nb,2\n").hexdigest()})  # fmt: skip

    run = run_drill(target)

    assert run.status == RunStatus.PASSED, run.reasons
    assert run.backup_taken_at.year == 2020  # the command's DRILL_BACKUP_TIME is the RPO reference
    logs = "".join(s.log for s in run.steps.all())
    assert "token=***" in logs and "s3cr3t-value" not in logs
    assert "s3cr3t-value" not in str(run.plan)
    with connection.cursor() as cursor:  # at rest the column holds Fernet ciphertext only
        cursor.execute("SELECT environment FROM drills_backuptarget WHERE id = %s", [target.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("gAAAA") and "s3cr3t-value" not in stored
    assert BackupTarget.objects.get(pk=target.pk).environment.endswith('"s3cr3t-value"}')


def test_failing_restore_command_fails_the_drill_with_its_output(run_drill, tmp_path):
    (tmp_path / "b.bin").write_bytes(b"x")
    target = target_save(target=None, data={"name": "bad", "kind": "command", "location": str(tmp_path),
                                            "restore_command": "echo 'cannot open archive' >&2; exit 3"})  # fmt: skip

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.message == "The restore command failed (exit 3): cannot open archive"


def test_file_checksums_without_expected_value_are_rejected_for_commands(db):
    target = target_save(target=None, data={"name": "c", "kind": "command", "backup_command": "true",
                                            "restore_command": "true"})  # fmt: skip
    with pytest.raises(InvalidInputError) as err:
        check_create(target=target, data={"name": "f", "kind": CheckKind.FILE_CHECKSUM, "path": "x"})
    assert "expected" in err.value.fields


@pytest.mark.parametrize("configured", ["unset", "default", False])
def test_command_targets_are_off_unless_turned_on(db, settings, configured):
    if configured == "unset":  # the app's own default
        settings.SRE = {k: v for k, v in settings.SRE.items() if k != "DRILL_COMMAND_TARGETS"}
    elif configured == "default":  # what sre.settings reads when SRE_DRILL_COMMAND_TARGETS is not set
        env = {k: v for k, v in os.environ.items() if k != "SRE_DRILL_COMMAND_TARGETS"}
        code = "from django.conf import settings; print(settings.SRE['DRILL_COMMAND_TARGETS'])"
        out = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], env=env,
                             capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
        assert out.stdout.strip() == "False"
        settings.SRE = {**settings.SRE, "DRILL_COMMAND_TARGETS": False}
    else:
        settings.SRE = {**settings.SRE, "DRILL_COMMAND_TARGETS": configured}
    with pytest.raises(InvalidInputError) as err:
        target_save(target=None, data={"name": "c", "kind": "command", "backup_command": "true",
                                       "restore_command": "true"})  # fmt: skip
    assert "SRE_DRILL_COMMAND_TARGETS" in err.value.fields["kind"][0]
    assert not BackupTarget.objects.exists()


def test_a_drill_past_its_time_limit_stops_the_command_and_ends_as_error(run_drill, tmp_path):
    target = target_save(target=None, data={"name": "slow", "kind": "command", "backup_command": "echo x > f",
                                            "restore_command": "echo starting; sleep 60"})  # fmt: skip
    BackupTarget.objects.filter(pk=target.pk).update(timeout_seconds=2)  # below the form's minimum, for the test

    run = run_drill(BackupTarget.objects.get(pk=target.pk))

    assert run.status == RunStatus.ERROR
    assert run.message == "The drill exceeded its time limit of 2 s."
    assert run.steps.get(name="restore").status == "failed" and "starting" in run.steps.get(name="restore").log
    assert run.steps.get(name="cleanup").status == "ok"


def test_a_command_target_saved_while_allowed_does_not_run_once_turned_off(db, settings):
    settings.SRE = {**settings.SRE, "DRILL_COMMAND_TARGETS": True}
    target = target_save(target=None, data={"name": "c", "kind": "command", "backup_command": "true",
                                            "restore_command": "true"})  # fmt: skip
    settings.SRE = {**settings.SRE, "DRILL_COMMAND_TARGETS": False}
    with pytest.raises(ConflictError, match="SRE_DRILL_COMMAND_TARGETS"):
        drill_request(target=target, trigger=RunTrigger.API, user=None, now=timezone.now())
    assert not target.runs.exists()
