"""Models of the drills app: backup targets, their checks, drill runs with steps and check results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from drills.choices import (
    ACTIVE_STATUSES,
    BackupMode,
    CheckKind,
    RunStatus,
    RunTrigger,
    ScratchKind,
    StepName,
    StepStatus,
    TargetKind,
)
from sre.crypto import EncryptedTextField

DEFAULT_RTO_SECONDS = 4 * 3600
DEFAULT_RPO_SECONDS = 15 * 60
DEFAULT_TIMEOUT_SECONDS = 6 * 3600


class BackupTarget(models.Model):
    """Something whose backups are restored on a schedule to prove they work.

    Invariants: ``connection``, ``scratch_connection``, ``secret`` and ``environment`` are encrypted at rest
    and never shown back by the API or the UI (only whether they are set). ``schedule`` is a five-field
    crontab (UTC) mirrored into ``periodic_task`` by ``drills.services.target_save``; empty means manual only.
    """

    name = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    backup_mode = models.CharField(max_length=10, choices=BackupMode.choices, default=BackupMode.TAKE)
    service = models.ForeignKey(
        "slo.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="backup_targets"
    )
    enabled = models.BooleanField(default=True)
    # postgres: source connection string/URL; restic: repository (may hold credentials).
    connection = EncryptedTextField(blank=True)
    # postgres: where scratch databases are created (needs CREATEDB); empty means the source's server.
    scratch_connection = EncryptedTextField(blank=True)
    # restic: repository password.
    secret = EncryptedTextField(blank=True)
    # JSON object of extra environment variables for commands (command, restic).
    environment = EncryptedTextField(blank=True)
    # sqlite: database file (take) or directory of copies (latest); postgres latest: directory of dumps;
    # restic: path to back up / restore; command: directory of existing backups when there is no backup command.
    location = models.CharField(max_length=1000, blank=True)
    backup_command = models.TextField(blank=True)
    restore_command = models.TextField(blank=True)
    rto_target_seconds = models.PositiveIntegerField(default=DEFAULT_RTO_SECONDS)
    rpo_target_seconds = models.PositiveIntegerField(default=DEFAULT_RPO_SECONDS)
    timeout_seconds = models.PositiveIntegerField(default=DEFAULT_TIMEOUT_SECONDS)
    schedule = models.CharField(max_length=100, blank=True, help_text="Crontab in UTC, e.g. '0 3 * * *'.")
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    builtin = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="drills_target_name_unique")]

    def __str__(self) -> str:
        return self.name


class VerificationCheck(models.Model):
    """One verification run against the restored copy.

    ``sql``: ``query``'s first column of the first row must equal ``expected``. ``row_count``: ``table`` has
    at least ``min_rows`` rows. ``table_checksum``: ``table``'s content hash equals the source's (or
    ``expected`` when given). ``file_checksum``: SHA-256 of ``path`` in the restored files equals ``expected``
    or, when empty, the source file's.
    """

    target = models.ForeignKey(BackupTarget, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CheckKind.choices)
    table = models.CharField(max_length=200, blank=True)
    query = models.TextField(blank=True)
    expected = models.CharField(max_length=500, blank=True)
    min_rows = models.PositiveBigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=1000, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["target_id", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["target", "name"], name="drills_check_name_unique")]

    def __str__(self) -> str:
        return f"{self.target_id}:{self.name}"


class DrillRun(models.Model):
    """One restore drill of a target.

    Invariants: at most one queued or running run per target (``drills_run_one_active``); ``plan`` is the
    target's configuration frozen when the run was requested (no secrets); a finished run has
    ``finished_at``; ``rto_seconds`` = restore start to verified, ``rpo_seconds`` = backup age at restore
    start. ``heartbeat_at`` advances while a worker runs it; the reaper ends runs whose heartbeat stopped.
    """

    target = models.ForeignKey(BackupTarget, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=20, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    plan = models.JSONField(default=dict)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    backup_ref = models.CharField(max_length=1000, blank=True)
    backup_taken_at = models.DateTimeField(null=True, blank=True)
    backup_size_bytes = models.BigIntegerField(null=True, blank=True)
    restore_started_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    rto_seconds = models.FloatField(null=True, blank=True)
    rpo_seconds = models.FloatField(null=True, blank=True)
    rto_target_seconds = models.PositiveIntegerField()
    rpo_target_seconds = models.PositiveIntegerField()
    message = models.TextField(blank=True)
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["target"], condition=Q(status__in=ACTIVE_STATUSES), name="drills_run_one_active"
            )
        ]
        indexes = [
            models.Index(fields=["target", "-queued_at"], name="drills_run_target_queued"),
            models.Index(fields=["status", "heartbeat_at"], name="drills_run_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"drill #{self.pk} of {self.target_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class DrillStep(models.Model):
    """One step of a run (obtain backup, restore, verify, clean up) with its own timing and log."""

    run = models.ForeignKey(DrillRun, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=20, choices=StepName.choices)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=StepStatus.choices, default=StepStatus.PENDING)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    log = models.TextField(blank=True)

    class Meta:
        ordering = ["run_id", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="drills_step_run_name_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.name}"


class CheckResult(models.Model):
    """The outcome of one verification check (or built-in integrity check) in a run."""

    run = models.ForeignKey(DrillRun, on_delete=models.CASCADE, related_name="check_results")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CheckKind.choices)
    passed = models.BooleanField()
    expected = models.TextField(blank=True)
    observed = models.TextField(blank=True)
    message = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run_id", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.name}={'ok' if self.passed else 'failed'}"


class ScratchResource(models.Model):
    """A scratch database or directory a run created; recorded before it is created so that a crashed run's
    leftovers are found and removed by the target's next run (``dropped_at`` set once removed)."""

    target = models.ForeignKey(BackupTarget, on_delete=models.CASCADE, related_name="scratch_resources")
    run = models.ForeignKey(DrillRun, on_delete=models.CASCADE, related_name="scratch_resources")
    kind = models.CharField(max_length=20, choices=ScratchKind.choices)
    ref = models.CharField(max_length=1000)
    created_at = models.DateTimeField()
    dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["target", "dropped_at"], name="drills_scratch_target_dropped")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"
