"""Audit hash chain: ``audit_verify`` passes on an intact trail, fails (exit 1, naming the entry) after a row is
altered or deleted by raw SQL, and passes again from the anchor after retention pruning. On PostgreSQL, entries
written by concurrent threads still form one linear chain."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from sre.audit.choices import AuditAction
from sre.audit.models import AuditAnchor, AuditEntry
from sre.audit.selectors import audit_chain_verify
from sre.audit.services import audit_record, audit_retention_prune
from sre.audit.tasks import retention


def _verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def _record(n: int, *, now: dt.datetime | None = None) -> list[AuditEntry]:
    return [
        audit_record(action=AuditAction.EXPORT, detail={"n": i, "ratio": 0.1 * i, "big": 1e20}, now=now)
        for i in range(n)
    ]


def _raw(sql: str, params: list) -> None:
    """Run ``sql`` past the append-only triggers (inside the test's transaction, which rolls it back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_no_update")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_verify_passes_on_an_intact_trail() -> None:
    entries = _record(5)
    code, out = _verify()
    assert code == 0 and "OK: 5 entries" in out and entries[-1].hash in out
    assert entries[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]


@pytest.mark.django_db
def test_verify_fails_after_a_row_is_altered_by_raw_sql() -> None:
    entries = _record(5)
    _raw("UPDATE audit_auditentry SET actor = %s WHERE id = %s", ["someone-else", entries[2].pk])
    code, out = _verify()
    assert code == 1
    assert f"BROKEN at entry #{entries[2].pk}" in out and "altered" in out and "Checked 3 entries" in out


@pytest.mark.django_db
def test_verify_fails_after_a_json_value_is_altered() -> None:
    entries = _record(3)
    _raw("UPDATE audit_auditentry SET detail = %s WHERE id = %s", ['{"n": 99}', entries[1].pk])
    assert audit_chain_verify().broken_at == entries[1].pk


@pytest.mark.django_db
def test_verify_fails_after_a_row_in_the_middle_is_deleted() -> None:
    entries = _record(5)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL sre.audit_retention = 'on'")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].pk])
    code, out = _verify()
    assert code == 1 and f"BROKEN at entry #{entries[3].pk}" in out and "deleted" in out


@pytest.mark.django_db
def test_retention_prunes_old_entries_and_the_chain_verifies_from_the_anchor(settings) -> None:
    now = timezone.now()
    old = _record(4, now=now - dt.timedelta(days=40))
    kept = _record(3, now=now)
    deleted = audit_retention_prune(now=now, days=30)
    assert deleted == 4
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    anchor = AuditAnchor.objects.get()
    assert (anchor.pruned_through_id, anchor.last_hash, anchor.pruned_count) == (old[-1].pk, old[-1].hash, 4)
    pruning = AuditEntry.objects.get(action="retention")
    assert pruning.actor == "system:audit.retention" and pruning.detail["deleted"] == 4
    code, out = _verify()
    assert code == 0 and "retention anchor" in out and "OK: 4 entries" in out  # 3 kept + the pruning entry
    assert audit_retention_prune(now=now, days=30) == 0  # twice is harmless

    # The beat task uses SRE_AUDIT_RETENTION_DAYS; the newest entry is never pruned.
    settings.SRE = {**settings.SRE, "AUDIT_RETENTION_DAYS": 1}
    assert retention.apply(kwargs={}).get() == 0
    later = now + dt.timedelta(days=5)
    assert audit_retention_prune(now=later, days=1) == 3
    assert AuditEntry.objects.filter(pk=pruning.pk).exists() and audit_chain_verify().ok

    # Deleting the first entry kept after the anchor is detected.
    first = AuditEntry.objects.order_by("pk").first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL sre.audit_retention = 'on'")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [first.pk])
    verdict = audit_chain_verify()
    assert not verdict.ok and "anchor" in verdict.reason
    assert kept  # (the three kept entries were pruned by the second, later run)


@pytest.mark.django_db
def test_anchors_refuse_orm_changes() -> None:
    _record(2, now=timezone.now() - dt.timedelta(days=10))
    _record(1)
    audit_retention_prune(now=timezone.now(), days=1)
    anchor = AuditAnchor.objects.get()
    with pytest.raises(Exception, match="append-only"):
        anchor.delete()
    with pytest.raises(Exception, match="append-only"):
        AuditAnchor.objects.all().update(last_hash="x")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_form_one_linear_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with its database lock; the advisory lock is PostgreSQL's")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(15):
                with transaction.atomic():
                    audit_record(action=AuditAction.EXPORT, detail={"thread": n, "i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verdict = audit_chain_verify()
    assert verdict.ok and verdict.count == 120
    assert AuditEntry.objects.values("prev_hash").distinct().count() == 120
