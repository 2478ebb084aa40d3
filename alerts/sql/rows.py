"""Rows of any model in and out without the ORM's query building: inserts, updates by pk, locked reads by key,
with values prepared and converted by the model's own fields (what ``save()`` and a queryset would do)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import orjson
from django.db import connections, router
from django.db.models import Model

_M = TypeVar("_M", bound=Model)

# Parameters per statement: below PostgreSQL's 65,535 and SQLite's 32,766 (3.32+; Django's own batching assumes
# the old limit of 999, which would split a 100-alert batch in two).
MAX_PARAMS = 30000


@cache
def _insert_sql(
    model: type[Model], rows: int, conflict_key: str | None, ignore: bool, vendor: str
) -> tuple[str, tuple]:
    """The statement for ``rows`` rows; ``rows`` 0: PostgreSQL's record set form, every row in one JSON parameter,
    whatever the number of rows (one statement text to parse, cache and prepare; one value to send)."""
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    db = connections[router.db_for_write(model)]
    quote = db.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    if rows:
        values = "VALUES " + ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    else:
        record = ", ".join(f"{quote(f.column)} {f.db_type(db)}" for f in fields)
        values = f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS row({record})"  # noqa: S608
    # Only model metadata (quoted names, column types) and placeholders go into the text; values are parameters.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) {values}"
    returning = quote(meta.pk.column)
    if conflict_key is not None:
        key = meta.get_field(conflict_key)
        sql += f" ON CONFLICT ({quote(key.column)}) DO NOTHING"
        returning += ", " + quote(key.column)
    elif ignore:
        sql += " ON CONFLICT DO NOTHING"
    return f"{sql} RETURNING {returning}", fields


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _json_rows(objs: Sequence[Model], fields: tuple, *, add: bool = True) -> str:
    """The rows as a JSON array of objects keyed by column (``jsonb_to_recordset``): JSON fields nest as they
    are, timestamps are ISO 8601 with their offset; everything else is a string, number, boolean or null.
    ``add``: the rows are new (``pre_save``'s argument: ``auto_now_add`` fields are set)."""
    return _json([{f.column: _json_value(f.pre_save(obj, add)) for f in fields} for obj in objs])


def _json(rows: list[dict]) -> str:
    """A JSON parameter. orjson takes a tenth of the standard library's time for a text PostgreSQL reads the same
    way; a key that is not a string (never one of ours: labels are checked at intake) is written as a string, as
    ``json.dumps`` would, on a second, slower pass."""
    try:
        return orjson.dumps(rows).decode()
    except TypeError:
        return orjson.dumps(rows, option=orjson.OPT_NON_STR_KEYS).decode()


def insert_rows(objs: Sequence[Model], *, conflict_key: str | None = None, ignore_conflicts: bool = False) -> set[Any]:
    """Insert unsaved instances of one model in one statement per batch and give each its pk.

    Without ``conflict_key`` every row is inserted (``bulk_create``). With it, a row whose key already exists is
    skipped (``ON CONFLICT (key) DO NOTHING``): only the inserted objects get their pk, and the set of their keys
    is returned. ``ignore_conflicts`` skips rows that break any unique constraint and sets no pks (link rows)."""
    if not objs:
        return set()
    model = type(objs[0])
    using = router.db_for_write(model)
    db = connections[using]
    sql, fields = _insert_sql(model, 1, conflict_key, ignore_conflicts, db.vendor)
    batch = max(1, MAX_PARAMS // len(fields))
    columns = db.vendor == "postgresql" and len(objs) > 1
    if columns:
        batch = len(objs)
    inserted: set[Any] = set()
    with db.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            if columns:
                sql, fields = _insert_sql(model, 0, conflict_key, ignore_conflicts, db.vendor)
                params = [_json_rows(chunk, fields)]
            else:
                sql, fields = _insert_sql(model, len(chunk), conflict_key, ignore_conflicts, db.vendor)
                params = [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in chunk for f in fields]
            cursor.execute(sql, params)
            returned = cursor.fetchall()
            if ignore_conflicts and conflict_key is None:
                continue
            if conflict_key is None:
                pairs = zip(chunk, (row[0] for row in returned), strict=True)
            else:
                by_key = {key: pk for pk, key in returned}
                inserted.update(by_key)
                pairs = (
                    (obj, by_key[getattr(obj, conflict_key)]) for obj in chunk if getattr(obj, conflict_key) in by_key
                )
            for obj, pk in pairs:
                obj.pk = pk
                obj._state.adding, obj._state.db = False, using
    return inserted


@cache
def _update_sql(model: type[Model], fields: tuple[str, ...]) -> tuple[str, tuple]:
    meta = model._meta
    quote = connections[router.db_for_write(model)].ops.quote_name
    columns = tuple(meta.get_field(name) for name in fields)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    return sql, columns


def update_row(obj: Model, fields: tuple[str, ...]) -> int:
    """``save(update_fields=fields)`` of a saved instance, without the ORM's compile: one UPDATE by pk.
    Returns the number of rows updated (0: the row is gone)."""
    db = connections[router.db_for_write(type(obj))]
    sql, columns = _update_sql(type(obj), fields)
    params = [f.get_db_prep_save(f.pre_save(obj, False), db) for f in columns] + [obj.pk]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@cache
def _update_rows_sql(model: type[Model], fields: tuple[str, ...]) -> tuple[str, tuple]:
    """PostgreSQL: ``UPDATE … FROM jsonb_to_recordset``, every row's new values in one JSON parameter."""
    meta = model._meta
    db = connections[router.db_for_write(model)]
    quote = db.ops.quote_name
    columns = tuple(meta.get_field(name) for name in fields)
    _, record = _record((meta.pk, *columns), db)
    assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in columns)
    pk = quote(meta.pk.column)
    # Only model metadata (quoted names, column types) goes into the text; the values are the one parameter.
    sql = f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS r({record})"  # noqa: S608
    return f"{sql} WHERE t.{pk} = r.{pk}", columns


def update_rows(objs: Sequence[Model], fields: tuple[str, ...]) -> None:
    """``bulk_update(objs, fields)`` of saved instances of one model without the ORM's ``CASE WHEN`` compile (which
    cost more than anything else when Alertmanager re-delivers a group): on PostgreSQL one statement for all rows,
    elsewhere one UPDATE by pk per row, sent with ``executemany``."""
    if not objs:
        return
    model = type(objs[0])
    db = connections[router.db_for_write(model)]
    if db.vendor != "postgresql":
        sql, columns = _update_sql(model, fields)
        rows = [[*(f.get_db_prep_save(f.pre_save(obj, False), db) for f in columns), obj.pk] for obj in objs]
        with db.cursor() as cursor:
            cursor.executemany(sql, rows)
        return
    sql, columns = _update_rows_sql(model, fields)
    with db.cursor() as cursor:
        cursor.execute(sql, [_json_rows(objs, (model._meta.pk, *columns), add=False)])


def _lock_clause(db: Any) -> str:
    """Row locks where the backend has them (PostgreSQL); SQLite's IMMEDIATE transactions lock the database."""
    if not db.features.has_select_for_update:
        return ""
    return " FOR NO KEY UPDATE" if db.features.has_select_for_no_key_update else " FOR UPDATE"


def _in_clause(db: Any, column: str, values: list) -> tuple[str, list]:
    """``column IN (…)``: on PostgreSQL ``= ANY(array)``, one statement shape whatever the number of values."""
    if db.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _converters(db: Any, fields: tuple) -> list[list]:
    """Per field, what the ORM would apply to a raw value (the backend's, then the field's ``from_db_value``)."""
    return [[*db.ops.get_db_converters(f.cached_col), *f.get_db_converters(db)] for f in fields]


def _convert(db: Any, fields: tuple, converters: list[list], row: tuple) -> list:
    values = list(row)
    for index, field_converters in enumerate(converters):
        for converter in field_converters:
            values[index] = converter(values[index], fields[index].cached_col, db)
    return values


def locked_by_key(model: type[_M], *, key: str, values: list) -> list[_M]:
    """The instances whose ``key`` is one of ``values``, locked, in key order (the order every writer locks in,
    so no two transactions wait on each other): ``select_for_update(no_key=True).filter(key__in=…)``."""
    if not values:
        return []
    meta = model._meta
    using = router.db_for_write(model)
    db = connections[using]
    fields = tuple(meta.concrete_fields)
    quote = db.ops.quote_name
    where, params = _in_clause(db, quote(meta.get_field(key).column), values)
    columns = ", ".join(quote(f.column) for f in fields)
    statement = (
        f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where} ORDER BY {quote(meta.get_field(key).column)}"  # noqa: S608
    )
    with db.cursor() as cursor:
        cursor.execute(statement + _lock_clause(db), params)
        return _instances(model, db, fields, cursor.fetchall())


def _instances(model: type[_M], db: Any, fields: tuple, rows: list) -> list[_M]:
    """Model instances from raw rows of ``fields``, values converted as the ORM converts them."""
    converters = _converters(db, fields)
    names = [f.attname for f in fields]
    return [model.from_db(db.alias, names, _convert(db, fields, converters, row)) for row in rows]


def _record(fields: tuple, db: Any, prefix: str = "") -> tuple[str, str]:
    """(column list, ``jsonb_to_recordset`` record definition) of these fields."""
    quote = db.ops.quote_name
    columns = ", ".join(prefix + quote(f.column) for f in fields)
    return columns, ", ".join(f"{quote(f.column)} {f.db_type(db)}" for f in fields)
