"""Celery reads ``CELERY_BROKER_URL`` from the environment in preference to any app's configuration, so a test
that points a producer at its own broker must also point that variable at it for the duration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def broker_url_env(url: str) -> Iterator[None]:
    previous = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous
