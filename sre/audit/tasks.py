"""Celery adapters of the audit trail."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from sre.audit.services import audit_retention_prune
from sre.celery import task_options

logger = logging.getLogger(__name__)


@shared_task(name="audit.retention", **task_options(max_retries=0, time_limit=3600, soft_time_limit=3500))
def retention() -> int:
    """Prune entries older than ``SRE["AUDIT_RETENTION_DAYS"]`` (daily beat). Running it twice is harmless."""
    days = settings.SRE["AUDIT_RETENTION_DAYS"]
    deleted = audit_retention_prune(now=timezone.now(), days=days)
    logger.info("audit retention: %d entries older than %d days deleted", deleted, days)
    return deleted
