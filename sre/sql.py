"""Names for hand-written SQL. A statement names its tables from the model (``Model._meta.db_table``), quoted for the
connection that runs it, never as a literal: a renamed table or a ``db_table`` option then reaches every statement,
and a reader sees which model a statement touches."""

from __future__ import annotations

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model


def table(model: type[Model] | str, *, db: BaseDatabaseWrapper | None = None) -> str:
    """The model's table (or a table that has no model, by its name), quoted for ``db`` (the default connection
    when not given)."""
    name = model if isinstance(model, str) else model._meta.db_table
    return (db or connection).ops.quote_name(name)
