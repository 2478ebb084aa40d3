"""Choices of the drills app."""

from django.db import models


class TargetKind(models.TextChoices):
    POSTGRES = "postgres", "PostgreSQL (pg_dump / pg_restore)"
    SQLITE = "sqlite", "SQLite (online backup API)"
    RESTIC = "restic", "restic snapshot"
    COMMAND = "command", "Custom backup and restore commands"
    SELF = "self", "This control plane's own database"


class BackupMode(models.TextChoices):
    """Whether a drill takes a fresh backup, or restores the newest one that already exists."""

    TAKE = "take", "Take a fresh backup"
    LATEST = "latest", "Use the newest existing backup"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED_STATUSES = (RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR, RunStatus.CANCELLED)


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Run now (UI)"
    API = "api", "API"


class StepName(models.TextChoices):
    OBTAIN = "obtain", "Obtain backup"
    RESTORE = "restore", "Restore"
    VERIFY = "verify", "Verify"
    CLEANUP = "cleanup", "Clean up"


STEP_ORDER = (StepName.OBTAIN, StepName.RESTORE, StepName.VERIFY, StepName.CLEANUP)


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class CheckKind(models.TextChoices):
    SQL = "sql", "SQL query with expected value"
    ROW_COUNT = "row_count", "Minimum row count of a table"
    TABLE_CHECKSUM = "table_checksum", "Table checksum equals the source"
    FILE_CHECKSUM = "file_checksum", "File SHA-256 equals the source or a given value"
    BUILTIN = "builtin", "Built-in integrity check"


DATABASE_CHECKS = (CheckKind.SQL, CheckKind.ROW_COUNT, CheckKind.TABLE_CHECKSUM)
FILE_CHECKS = (CheckKind.FILE_CHECKSUM,)


class ScratchKind(models.TextChoices):
    PG_DATABASE = "pg_database", "PostgreSQL database"
    DIRECTORY = "directory", "directory"
