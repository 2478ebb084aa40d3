"""Celery adapters of the rules app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from rules.services.evaluate import rules_evaluate


@shared_task(name="rules.evaluate", acks_late=True, time_limit=300, soft_time_limit=240)
def evaluate() -> dict:
    report = rules_evaluate(now=timezone.now())
    return {"rules": report.rules, "errors": report.errors, "fired": report.fired, "resolved": report.resolved}
