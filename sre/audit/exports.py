"""Streamed exports of audit entries: CSV (cells guarded against spreadsheet formulas) and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from sre.audit.models import AuditEntry, at_text
from sre.domain.csv_cells import csv_cell

EXPORT_CHUNK = 1000
CSV_COLUMNS = (
    "id", "at", "actor_kind", "actor_id", "actor", "action", "object_type", "object_pk", "object_repr",
    "before", "after", "detail", "address", "user_agent", "via", "session", "token_id", "token_prefix",
    "prev_hash", "hash",
)  # fmt: skip


def entry_record(entry: AuditEntry) -> dict[str, Any]:
    """An entry as exported and served by the API."""
    return {
        "id": entry.pk,
        "at": at_text(entry.at),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_pk": entry.object_pk,
        "object_repr": entry.object_repr,
        "before": entry.before,
        "after": entry.after,
        "detail": entry.detail,
        "address": entry.address,
        "user_agent": entry.user_agent,
        "via": entry.via,
        "session": entry.session,
        "token_id": entry.token_id,
        "token_prefix": entry.token_prefix,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def csv_stream(entries: Iterable[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for n, entry in enumerate(entries, 1):
        record = entry_record(entry)
        for key in ("before", "after", "detail"):
            record[key] = _json_text(record[key])
        writer.writerow([csv_cell(record[c]) for c in CSV_COLUMNS])
        if n % 100 == 0:
            yield flush()
    yield flush()


def json_stream(entries: Iterable[AuditEntry], *, meta: dict[str, Any]) -> Iterator[str]:
    """``{"export": meta, "entries": [...]}``, written one entry at a time."""
    yield '{"export": ' + json.dumps(meta, cls=DjangoJSONEncoder, sort_keys=True) + ', "entries": ['
    for n, entry in enumerate(entries):
        yield ("," if n else "") + "\n" + json.dumps(entry_record(entry), ensure_ascii=False, sort_keys=True)
    yield "\n]}\n"
