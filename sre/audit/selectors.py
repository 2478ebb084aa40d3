"""Reads of the audit trail: lists for the page, the API and exports, and the chain walk."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from sre.audit.domain.chain import GENESIS, HASHED_FIELDS, Link, Verdict, chain_verify
from sre.audit.models import AuditAnchor, AuditEntry, at_text

CHAIN_CHUNK = 2000


def audit_list() -> QuerySet[AuditEntry]:
    """All entries, newest first (no relations: every value is a snapshot on the row)."""
    return AuditEntry.objects.order_by("-pk")


def audit_get(*, pk: int) -> AuditEntry:
    return AuditEntry.objects.get(pk=pk)


def audit_anchor_latest() -> AuditAnchor | None:
    return AuditAnchor.objects.order_by("-pruned_through_id").first()


def _links(after_pk: int) -> Iterator[Link]:
    """Entries after ``after_pk`` in pk order, streamed in chunks (constant memory)."""
    columns = ("pk", "prev_hash", "hash", *HASHED_FIELDS)
    rows = AuditEntry.objects.filter(pk__gt=after_pk).order_by("pk").values_list(*columns)
    for row in rows.iterator(chunk_size=CHAIN_CHUNK):
        values = dict(zip(columns, row, strict=True))
        values["at"] = at_text(values["at"])
        yield Link(pk=values.pop("pk"), prev_hash=values.pop("prev_hash"), hash=values.pop("hash"), fields=values)


def audit_chain_verify() -> Verdict:
    """Walk the whole chain from the newest retention anchor (or the start)."""
    anchor = audit_anchor_latest()
    start = anchor.last_hash if anchor is not None else GENESIS
    return chain_verify(links=_links(anchor.pruned_through_id if anchor is not None else 0), start_hash=start)
