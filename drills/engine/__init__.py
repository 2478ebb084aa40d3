"""Executors that obtain, restore and verify backups with the real tools (pg_dump/pg_restore, SQLite's backup
API, restic, user commands). They do I/O but no Django model writes: ``drills.execution`` persists progress."""
