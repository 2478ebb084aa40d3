"""Full-text search over log messages: a GIN index on PostgreSQL, an FTS5 table with triggers on SQLite."""

from django.db import migrations

POSTGRES_UP = [
    "CREATE INDEX IF NOT EXISTS telemetry_log_fts_idx ON telemetry_logentry "
    "USING gin (to_tsvector('simple', message)) WITH (fastupdate = on)",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS telemetry_log_fts_idx"]

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS telemetry_logentry_fts USING fts5("
    "message, content='telemetry_logentry', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS telemetry_logentry_ai AFTER INSERT ON telemetry_logentry BEGIN "
    "INSERT INTO telemetry_logentry_fts(rowid, message) VALUES (new.id, new.message); END",
    "CREATE TRIGGER IF NOT EXISTS telemetry_logentry_ad AFTER DELETE ON telemetry_logentry BEGIN "
    "INSERT INTO telemetry_logentry_fts(telemetry_logentry_fts, rowid, message) VALUES('delete', old.id, old.message); END",
    "CREATE TRIGGER IF NOT EXISTS telemetry_logentry_au AFTER UPDATE ON telemetry_logentry BEGIN "
    "INSERT INTO telemetry_logentry_fts(telemetry_logentry_fts, rowid, message) VALUES('delete', old.id, old.message); "
    "INSERT INTO telemetry_logentry_fts(rowid, message) VALUES (new.id, new.message); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS telemetry_logentry_ai",
    "DROP TRIGGER IF EXISTS telemetry_logentry_ad",
    "DROP TRIGGER IF EXISTS telemetry_logentry_au",
    "DROP TABLE IF EXISTS telemetry_logentry_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
