"""PostgreSQL: leave room in each page so the per-batch updates of counter state and rollups are HOT
updates (no index writes). Nothing to do on SQLite."""

from django.db import migrations

UP = [
    "ALTER TABLE telemetry_series SET (fillfactor = 50)",
    "ALTER TABLE telemetry_minuterollup SET (fillfactor = 70)",
    "ALTER TABLE telemetry_hourrollup SET (fillfactor = 50)",
]
DOWN = [
    "ALTER TABLE telemetry_series RESET (fillfactor)",
    "ALTER TABLE telemetry_minuterollup RESET (fillfactor)",
    "ALTER TABLE telemetry_hourrollup RESET (fillfactor)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0002_log_fulltext")]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
