"""Writes of deploy-gate overrides (responder or admin): lift a service's release freeze until an expiry, with a
reason; revoke one early. Both are recorded in the audit trail (``GateOverride`` is tracked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from releases.models import GateOverride
from slo.models import Service
from sre.errors import ConflictError, InvalidInputError

MAX_REASON = 1000
MAX_OVERRIDE = dt.timedelta(days=30)


def override_create(*, service: Service, reason: Any, expires_at: Any, user: Any, now: dt.datetime) -> GateOverride:
    """An override of ``service``'s gate from ``now`` to ``expires_at`` (after now, 30 days at most), with a
    non-empty ``reason``. Raises ``InvalidInputError`` naming ``reason`` or ``expires_at``; nothing is saved then.
    The gate answers ``allow`` while it is active, whatever the budgets say."""
    errors: dict[str, list[str]] = {}
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = ["Say why releases may go out despite the freeze."]
    elif len(reason.strip()) > MAX_REASON:
        errors["reason"] = [f"At most {MAX_REASON} characters."]
    if not isinstance(expires_at, dt.datetime) or expires_at.tzinfo is None:
        errors["expires_at"] = ["A date and time with its time zone."]
    elif expires_at <= now:
        errors["expires_at"] = ["Must be in the future."]
    elif expires_at - now > MAX_OVERRIDE:
        errors["expires_at"] = [f"At most {MAX_OVERRIDE.days} days from now."]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInputError(f"Invalid override: {field}: {messages[0]}", fields=errors)
    user = user if getattr(user, "is_authenticated", False) else None
    return GateOverride.objects.create(
        service=service, reason=reason.strip(), created_by=user, created_at=now, expires_at=expires_at
    )


def override_revoke(*, override: GateOverride, user: Any, now: dt.datetime) -> GateOverride:
    """End an active override now (409 when it is already revoked or expired). The row stays, for the record."""
    with transaction.atomic():
        locked = GateOverride.objects.select_for_update().filter(pk=override.pk).first()
        if locked is None:
            raise ConflictError("The override no longer exists.")
        if locked.revoked_at is not None:
            raise ConflictError("The override is already revoked.")
        if locked.expires_at <= now:
            raise ConflictError("The override has already expired.")
        locked.revoked_at = now
        locked.revoked_by = user if getattr(user, "is_authenticated", False) else None
        locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked
