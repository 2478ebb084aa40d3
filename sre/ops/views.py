"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import logging
import math

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sre.ops.checks import heartbeat_age, readiness
from sre.ops.metrics import exposition

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when this process's database and broker answer; else 503 naming what failed. The background
    heartbeat is left out on purpose (see sre/ops/checks.py): its age is on ``/metrics``."""
    checks = readiness()
    failed = [c.name for c in checks if not c.ok]
    body = {
        "status": "ok" if not failed else "unavailable",
        "failed": failed,
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The process metrics, and the age of the last background heartbeat read now (+Inf when none was ever
    recorded, so an alert on age fires; left out when the database does not answer)."""
    age: float | None
    try:
        recorded = heartbeat_age(now=timezone.now())
        age = math.inf if recorded is None else recorded
    except DatabaseError:  # the process metrics still answer
        logger.warning("Metrics: the background heartbeat could not be read", exc_info=True)
        age = None
    payload, content_type = exposition(heartbeat_age=age)
    return HttpResponse(payload, content_type=content_type)
