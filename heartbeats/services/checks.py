"""Configuration of heartbeat checks: create, update, delete, pause, resume and a new ping URL.

Every write validates all of its input before it saves anything (a bad field is an ``InvalidInputError`` naming it;
nothing is half-saved), then locks the check's row so a ping arriving at the same time is neither lost nor undone.
A change that alters what should be firing (pause, a new schedule, delete) resolves or raises through
``heartbeats.services.alerting`` after commit (in the same transaction for delete).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from heartbeats.choices import ScheduleKind
from heartbeats.domain.alerting import labels_check
from heartbeats.domain.schedule import HeartbeatConfigError, Timing, timing_check
from heartbeats.domain.state import paused_status, resumed_status, retimed_status
from heartbeats.models import Check
from heartbeats.selectors import status_of, timing_of
from heartbeats.services.alerting import alert_resolve_for_delete, alert_sync_after_commit
from heartbeats.services.runtime import status_apply
from sre.errors import InvalidInputError

CONFIG_FIELDS = (
    "name",
    "slug",
    "description",
    "schedule_kind",
    "period_seconds",
    "cron",
    "timezone",
    "grace_seconds",
    "severity",
    "service",
    "team",
    "labels",
)
TIMING_FIELDS = ("schedule_kind", "period_seconds", "cron", "timezone", "grace_seconds")
LABEL_VALUE = re.compile(r"^[A-Za-z0-9_.:/@+-]{1,50}$")
TEXT_LIMITS = {"name": 100, "slug": 100, "description": 5000, "service": 100, "team": 100}


def _text(errors: dict[str, list[str]], name: str, value: Any, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = ["Must be a string."]
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = ["Required."]
    elif len(value) > TEXT_LIMITS[name]:
        errors[name] = [f"At most {TEXT_LIMITS[name]} characters."]
    elif "\x00" in value:
        errors[name] = ["Contains a NUL character."]
    return value


def _validated(check: Check, data: dict[str, Any], *, now: dt.datetime) -> dict[str, Any]:
    """The check's configuration with ``data`` applied, all checked; ``InvalidInputError`` naming every bad field."""
    merged = {name: data.get(name, getattr(check, name)) for name in CONFIG_FIELDS}
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    out["name"] = _text(errors, "name", merged["name"], required=True)
    out["description"] = _text(errors, "description", merged["description"])
    out["service"] = _text(errors, "service", merged["service"])
    out["team"] = _text(errors, "team", merged["team"])
    slug = _text(errors, "slug", merged["slug"]) if "slug" in data or check.slug else ""
    out["slug"] = slug or slugify(out["name"])[:100]
    if "slug" not in errors and (not out["slug"] or slugify(out["slug"]) != out["slug"]):
        errors["slug"] = ["Letters, digits, hyphens and underscores only."]
    severity = merged["severity"]
    if not isinstance(severity, str) or not LABEL_VALUE.match(severity):
        errors["severity"] = ["1–50 letters, digits or . _ - : / @ + (e.g. critical, warning)."]
    out["severity"] = severity
    try:
        out["labels"] = labels_check(merged["labels"] if merged["labels"] is not None else {})
    except ValueError as exc:
        errors["labels"] = [str(exc)]
    kind = merged["schedule_kind"]
    if kind == ScheduleKind.CRON and not (merged["cron"] or "").strip():
        errors["cron"] = ["A cron expression is required for a cron schedule."]
    if not errors.get("cron"):
        try:
            timing = timing_check(
                Timing(
                    kind=kind,
                    period_seconds=merged["period_seconds"],
                    cron=merged["cron"] if isinstance(merged["cron"], str) else "",
                    timezone=merged["timezone"] if isinstance(merged["timezone"], str) else "",
                    grace_seconds=merged["grace_seconds"],
                ),
                now=now,
            )
        except HeartbeatConfigError as exc:
            errors.setdefault(exc.field, []).append(exc.message)
        else:
            out.update(
                schedule_kind=timing.kind,
                period_seconds=timing.period_seconds,
                cron=timing.cron if timing.kind == ScheduleKind.CRON else "",
                timezone=timing.timezone,
                grace_seconds=timing.grace_seconds,
            )
    clashes = Check.objects.exclude(pk=check.pk)
    if "name" not in errors and clashes.filter(name__iexact=out["name"]).exists():
        errors["name"] = ["A check with this name already exists."]
    if "slug" not in errors and clashes.filter(slug=out["slug"]).exists():
        errors["slug"] = ["A check with this slug already exists."]
    if errors:
        first, messages = next(iter(errors.items()))
        raise InvalidInputError(f"Invalid input: {first}: {messages[0]}", fields=errors)
    return out


def check_save(*, check: Check | None, data: dict[str, Any], now: dt.datetime) -> Check:
    """Create a check (state new, a fresh secret ping key) or update one's configuration.

    A changed schedule or grace time recomputes its deadlines from the last pings under the row's lock; a check
    down only by the old schedule comes back up (its alert resolves after commit)."""
    values = _validated(check or Check(), data, now=now)
    with transaction.atomic():
        if check is None:
            created = Check(**values)
            created.save()
            return created
        locked = Check.objects.select_for_update().get(pk=check.pk)
        retime = any(values[name] != getattr(locked, name) for name in TIMING_FIELDS)
        changed = [name for name in CONFIG_FIELDS if values[name] != getattr(locked, name)]
        for name in changed:
            setattr(locked, name, values[name])
        if retime:
            changed += status_apply(locked, retimed_status(status_of(locked), timing=timing_of(locked), now=now))
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        _sync_on_commit(locked, now=now)
    return locked


def check_delete(*, check: Check, now: dt.datetime) -> None:
    """Delete a check and its pings; an alert it has firing is resolved in the same transaction."""
    with transaction.atomic():
        locked = Check.objects.select_for_update().filter(pk=check.pk).first()
        if locked is None:
            return
        alert_resolve_for_delete(locked, now=now)
        locked.delete()


def check_pause(*, check: Check, now: dt.datetime) -> Check:
    """Stop monitoring: pings are still recorded, nothing alerts, a firing alert resolves. Pausing twice is
    harmless."""
    with transaction.atomic():
        locked = Check.objects.select_for_update().get(pk=check.pk)
        if locked.paused:
            return locked
        locked.paused = True
        changed = ["paused", *status_apply(locked, paused_status(status_of(locked), now=now))]
        locked.save(update_fields=[*changed, "updated_at"])
        _sync_on_commit(locked, now=now)
    return locked


def check_resume(*, check: Check, now: dt.datetime) -> Check:
    """Monitor again: up when the last ping is still within its due time and grace, else new (waiting for the next
    ping; nothing alerts for the paused time). Resuming a check that is not paused changes nothing."""
    with transaction.atomic():
        locked = Check.objects.select_for_update().get(pk=check.pk)
        if not locked.paused:
            return locked
        locked.paused = False
        resumed = resumed_status(status_of(locked), timing=timing_of(locked), now=now)
        changed = ["paused", *status_apply(locked, resumed)]
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


def check_ping_key_regenerate(*, check: Check) -> Check:
    """A new secret ping URL; the old one answers 404 from now on (jobs must be given the new one)."""
    with transaction.atomic():
        locked = Check.objects.select_for_update().get(pk=check.pk)
        locked.ping_key = uuid.uuid4()
        locked.save(update_fields=["ping_key", "updated_at"])
    return locked


def _sync_on_commit(check: Check, *, now: dt.datetime) -> None:
    if not check.alert_synced:
        transaction.on_commit(partial(alert_sync_after_commit, check.pk, now))
