"""``manage.py rotate_encryption_key``: re-encrypt every stored secret with the newest key.

Set ``SRE_ENCRYPTION_KEY=new,old`` (newest first), run this, then drop the old key: every ``EncryptedTextField``
of every installed model is rewritten with ``new``. Rows are read and written in pk-ordered batches, each batch
in one transaction with its rows locked (a secret saved meanwhile is not overwritten with its old value). A value
already under the newest key is left alone, so running it twice is harmless. Exit code 1 if a value opens with
no configured key (it is left as it is and counted).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from sre.audit.choices import AuditAction
from sre.audit.context import acting_as_system
from sre.audit.services import audit_record
from sre.crypto import EncryptedTextField, reencrypt


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every concrete model with its ``EncryptedTextField`` columns (attnames)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def rotate_model(model: type[models.Model], names: list[str], *, batch: int) -> dict[str, int]:
    counts = {"rewritten": 0, "current": 0, "empty": 0, "unreadable": 0}
    manager = model._base_manager
    # The stored text, not the field's decrypted value: cast to plain text so no key is needed to read it.
    raw = {f"raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
    last_pk = None
    while True:
        with transaction.atomic():
            rows = manager.select_for_update().order_by("pk").annotate(**raw)
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            chunk = list(rows.values_list("pk", *raw)[:batch])
            for pk, *values in chunk:
                changes = {}
                for name, value in zip(names, values, strict=True):
                    if not value:
                        counts["empty"] += 1
                        continue
                    try:
                        new = reencrypt(value)
                    except ValueError:
                        counts["unreadable"] += 1
                        continue
                    if new is None:
                        counts["current"] += 1
                    else:
                        changes[name] = models.Value(new, output_field=models.TextField())
                        counts["rewritten"] += 1
                if changes:
                    manager.filter(pk=pk).update(**changes)
        if len(chunk) < batch:
            return counts
        last_pk = chunk[-1][0]


class Command(BaseCommand):
    help = "Re-encrypt every EncryptedTextField value with the newest key of SRE_ENCRYPTION_KEY."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args: Any, **options: Any) -> None:
        totals: dict[str, dict[str, int]] = {}
        with acting_as_system("rotate_encryption_key"):
            for model, names in encrypted_fields():
                counts = rotate_model(model, names, batch=max(1, options["batch"]))
                totals[model._meta.label] = counts
                self.stdout.write(
                    f"{model._meta.label} ({', '.join(names)}): {counts['rewritten']} re-encrypted, "
                    f"{counts['current']} already current, {counts['empty']} empty, {counts['unreadable']} unreadable"
                )
            audit_record(action=AuditAction.KEY_ROTATION, detail={"models": totals})
        unreadable = sum(c["unreadable"] for c in totals.values())
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) open with no configured key and were left as they are.", returncode=1
            )
        self.stdout.write("Done: every stored secret opens with the newest key.")
