"""``manage.py audit_verify``: walk the audit hash chain; exit 1 at the first broken entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sre.audit.selectors import audit_anchor_latest, audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (streamed, constant memory). Exit code 1 if it is broken."

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = audit_anchor_latest()
        if anchor is not None:
            self.stdout.write(
                f"Starting after retention anchor: entries through #{anchor.pruned_through_id} were pruned "
                f"on {anchor.created_at:%Y-%m-%d}, the last had hash {anchor.last_hash}."
            )
        verdict = audit_chain_verify()
        if verdict.ok:
            self.stdout.write(f"OK: {verdict.count} entries, chain unbroken. Head hash: {verdict.head}")
            self.stdout.write("Keep the head hash elsewhere: a later run whose chain no longer contains it was cut.")
            return
        self.stdout.write(f"Checked {verdict.count} entries.")
        raise CommandError(f"BROKEN at entry #{verdict.broken_at}: {verdict.reason}.", returncode=1)
