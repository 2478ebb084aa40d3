"""The audit trail: append-only, hash-chained entries, and the anchors retention leaves behind."""

from __future__ import annotations

from datetime import UTC
from typing import Any, NoReturn

from django.db import models

from sre.audit.choices import ActorKind, AuditAction, Via
from sre.audit.domain.chain import HASHED_FIELDS


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit entry through the ORM."""


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk ``update``/``delete``; only ``sre.audit.services.audit_retention_prune`` deletes (raw SQL,
    past the database trigger through the ``sre.audit_retention`` session setting)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: only the retention job removes old entries.")

    def _raw_delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # the deletion collector's fast path
        raise AppendOnlyError("Audit entries are append-only: only the retention job removes old entries.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: they cannot be updated.")


class AuditEntry(models.Model):
    """One recorded change or sensitive access.

    Invariants: rows are only inserted, by ``sre.audit.services`` (``save`` refuses an existing row, ``delete``
    refuses always; PostgreSQL and SQLite triggers refuse UPDATE, PostgreSQL refuses DELETE unless the session
    setting ``sre.audit_retention`` is on). ``prev_hash`` is the previous entry's ``hash`` (unique: the chain
    cannot fork), ``hash`` = SHA-256(prev_hash + canonical JSON of the fields in ``HASHED_FIELDS``); inserts are
    serialised, so pk order is chain order. Actor, object and token are snapshots, not foreign keys, so
    deleting a user or an object never touches the trail. Secrets are never stored (``"***"``).
    """

    at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True, help_text="Username then, or system:<task or command>.")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_app = models.CharField(max_length=100, blank=True)
    object_model = models.CharField(max_length=100, blank=True)
    object_pk = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    session = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the session key.")
    token_id = models.BigIntegerField(null=True, blank=True)
    token_prefix = models.CharField(max_length=16, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.UniqueConstraint(fields=["prev_hash"], name="audit_entry_prev_hash_unique"),
            models.UniqueConstraint(fields=["hash"], name="audit_entry_hash_unique"),
        ]
        indexes = [
            models.Index(fields=["actor", "at"], name="audit_entry_actor_idx"),
            models.Index(fields=["object_app", "object_model", "object_pk"], name="audit_entry_object_idx"),
            models.Index(fields=["action", "at"], name="audit_entry_action_idx"),
        ]

    def __str__(self) -> str:
        target = f" {self.object_app}.{self.object_model} {self.object_pk}" if self.object_model else ""
        return f"#{self.pk} {self.actor or self.actor_kind} {self.action}{target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries are append-only: they cannot be updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are append-only: only the retention job removes old entries.")

    def hashed_fields(self) -> dict[str, Any]:
        """The values the hash covers, as ``sre.audit.domain.chain.entry_hash`` takes them."""
        values = {name: getattr(self, name) for name in HASHED_FIELDS}
        values["at"] = at_text(self.at)
        return values

    @property
    def object_type(self) -> str:
        return f"{self.object_app}.{self.object_model}" if self.object_model else ""


def at_text(value: Any) -> str:
    """The hashed form of an entry's time: UTC ISO 8601 with microseconds."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class AuditAnchor(models.Model):
    """Left by retention: entries up to ``pruned_through_id`` were deleted, the last of them had ``last_hash``.

    Verification starts from the newest anchor, so the chain still verifies from the first kept entry, and a
    deletion after the anchor is still detected. Append-only like the entries (same triggers, no deletes)."""

    created_at = models.DateTimeField()
    pruned_through_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    pruned_count = models.BigIntegerField()
    cutoff = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-pruned_through_id"]
        constraints = [models.UniqueConstraint(fields=["pruned_through_id"], name="audit_anchor_through_unique")]

    def __str__(self) -> str:
        return f"anchor through #{self.pruned_through_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit anchors are append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit anchors are append-only.")
