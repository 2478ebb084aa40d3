"""Fixtures of the status page tests: a snapshot directory per test, Celery inline, a clean cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def snapshot_dir(tmp_path, settings):
    """Each test renders into its own directory (never var/)."""
    path = tmp_path / "snapshot"
    settings.SRE = {**settings.SRE, "STATUSPAGE_SNAPSHOT_DIR": str(path), "BASE_URL": "http://status.test"}
    return path


@pytest.fixture(autouse=True)
def _celery_eager():
    from sre.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
