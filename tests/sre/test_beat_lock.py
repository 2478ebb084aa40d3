"""One beat schedules at a time (sre.beat): a second stands by and takes over once the first lets go."""

from __future__ import annotations

from django.db import connection

from sre.beat import BeatLock


def test_only_one_beat_lock_is_held_at_a_time(db, settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    first, second = BeatLock(), BeatLock()
    try:
        assert first.held() is True
        assert second.held() is False
        assert first.held() is True  # still held on the next tick
        first.release()
        assert second.held() is True
        assert first.held() is False
    finally:
        first.release()
        second.release()


def test_a_beat_that_cannot_reach_its_lock_does_not_schedule(db, monkeypatch, caplog) -> None:
    lock = BeatLock()

    def broken() -> bool:
        raise OSError("no database")

    monkeypatch.setattr(lock, "_held_postgresql", broken)
    monkeypatch.setattr(lock, "_held_file", broken)
    with caplog.at_level("WARNING", logger="sre.beat"):
        assert lock.held() is False
    assert "not scheduling" in caplog.text


def test_an_advisory_lock_on_postgresql_a_file_lock_on_sqlite(db, settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    lock = BeatLock()
    try:
        assert lock.held() is True
        if connection.vendor == "postgresql":
            assert lock._session is not None and lock._file is None
        else:
            assert lock._file is not None and lock._session is None and (tmp_path / "beat.lock").exists()
    finally:
        lock.release()
