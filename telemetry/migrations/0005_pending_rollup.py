"""Rollup increments staged by the PostgreSQL ingest statement, folded into the minute and hour rollups
set-based in the background (``telemetry.store.rollups_fold``). Readers in ``telemetry.selectors`` add
the rows still here, so sums stay exact. No index: rows are only appended and deleted whole by the fold.
The table exists on SQLite too (always empty there: that path writes the rollups directly) so the
readers' SQL is the same."""

from django.db import migrations

UP = {
    "postgresql": [
        "CREATE TABLE telemetry_pendingrollup (series_id bigint NOT NULL, start bigint NOT NULL, "
        "increase double precision NOT NULL, gauge double precision NULL, gauge_ts double precision NULL, "
        "samples integer NOT NULL) WITH (autovacuum_vacuum_scale_factor = 0, "
        "autovacuum_vacuum_threshold = 20000, autovacuum_vacuum_cost_delay = 0)",
    ],
    "sqlite": [
        "CREATE TABLE telemetry_pendingrollup (series_id bigint NOT NULL, start bigint NOT NULL, "
        "increase real NOT NULL, gauge real NULL, gauge_ts real NULL, samples integer NOT NULL)",
    ],
}
DOWN = ["DROP TABLE IF EXISTS telemetry_pendingrollup"]


def _up(apps, schema_editor):
    for sql in UP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def _down(apps, schema_editor):
    if schema_editor.connection.vendor in UP:
        for sql in DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0004_series_prev_value")]

    operations = [migrations.RunPython(_up, _down)]
