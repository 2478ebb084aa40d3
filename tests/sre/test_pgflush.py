"""The PostgreSQL test flush (tests/support/pgflush.py) empties every table, rows linked by foreign keys
included, and keeps Django's TRUNCATE when asked to reset sequences."""

from __future__ import annotations

import pytest
from django.core.management.color import no_style
from django.db import connection

from incidents.models import Incident, TimelineEntry
from sre.audit.models import AuditEntry
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_flush_deletes_every_row_whatever_the_foreign_keys(admin_user):
    if connection.vendor != "postgresql":
        pytest.skip("the DELETE flush replaces PostgreSQL's TRUNCATE only")
    incident = IncidentFactory()  # audited: the append-only audit trail gets a row too
    TimelineEntry.objects.create(incident=incident, at=incident.started_at, kind="note", message="x", actor="a")
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    statements = connection.ops.sql_flush(no_style(), tables)
    assert all(s.startswith(("SET ", "DELETE FROM ")) for s in statements) and "TRUNCATE" not in " ".join(statements)
    connection.ops.execute_sql_flush(statements)
    assert (Incident.objects.count(), TimelineEntry.objects.count(), AuditEntry.objects.count()) == (0, 0, 0)
    assert "TRUNCATE" in connection.ops.sql_flush(no_style(), tables, reset_sequences=True)[0]
