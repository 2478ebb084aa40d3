"""The Django project: settings, URLs, Celery app, auth, API helpers and operations endpoints."""

from sre.celery import app as celery_app

__all__ = ["celery_app"]
