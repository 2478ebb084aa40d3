"""Silences (Alertmanager's shape) and maintenance windows: their one write path (the pages, the API and the
status page's scheduled maintenance all come here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from alerts.choices import GroupState
from alerts.domain import suppression
from alerts.domain.matchers import MatcherError, parse_matchers
from alerts.models import AlertGroup, MaintenanceWindow, Silence
from alerts.services import notify
from sre.errors import ConflictError, InvalidInputError, NotFoundError


def validate_silence_matchers(matchers: Any) -> list[dict[str, Any]]:
    """Normalise API v2 matchers; raises ``InvalidInputError`` naming the bad one."""
    if not isinstance(matchers, list) or not matchers:
        raise InvalidInputError("A silence needs at least one matcher.", fields={"matchers": ["Required."]})
    out = []
    for index, item in enumerate(matchers):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or not isinstance(item.get("value"), str)
        ):
            raise InvalidInputError(
                "Each matcher needs a string name and value.", fields={f"matchers[{index}]": ["Invalid matcher."]}
            )
        clean = {
            "name": item["name"],
            "value": item["value"],
            "isRegex": bool(item.get("isRegex", False)),
            "isEqual": bool(item.get("isEqual", True)),
        }
        try:
            suppression.silence_matchers([clean])
        except MatcherError as exc:
            raise InvalidInputError(str(exc), fields={f"matchers[{index}]": [str(exc)]}) from None
        out.append(clean)
    compiled = suppression.silence_matchers(out)
    if all(m.matches({}) for m in compiled):
        raise InvalidInputError("These matchers would match every alert; add a matcher that needs a label value.")
    return out


def _reflush_open_groups(*, now: datetime) -> None:

    for group_id in AlertGroup.objects.exclude(state=GroupState.RESOLVED).values_list("pk", flat=True):
        notify.group_flush(group_id=group_id, now=now)


def silence_create(
    *, matchers: Any, starts_at: datetime, ends_at: datetime, created_by: str, comment: str, now: datetime
) -> Silence:
    """Create a silence; groups it affects are re-evaluated at once (and un-silenced when it ends)."""
    clean = validate_silence_matchers(matchers)
    if ends_at <= starts_at:
        raise InvalidInputError("endsAt must be after startsAt.", fields={"endsAt": ["Must be after startsAt."]})
    if ends_at <= now:
        raise InvalidInputError("endsAt is in the past.", fields={"endsAt": ["Must be in the future."]})
    if not comment.strip():
        raise InvalidInputError("Say why (comment).", fields={"comment": ["Required."]})
    with transaction.atomic():
        silence = Silence.objects.create(
            matchers=clean, starts_at=starts_at, ends_at=ends_at, created_by=created_by[:150], comment=comment
        )
        _reflush_open_groups(now=now)
    return silence


def groups_silence(
    *, group_ids: list[int], actor: str, now: datetime, duration: timedelta, comment: str
) -> tuple[list[int], list[tuple[int, str]]]:
    """Silence each of ``group_ids`` (matchers = its group labels, as ``group_silence`` does) in one transaction,
    re-evaluating the open groups once at the end instead of once per silence (the alert list's bulk silence: 50
    chosen groups among 500 open ones would otherwise flush 25,000 times).

    Returns (silenced ids, [(id, reason)] skipped): a group that is gone, resolved, already silenced or has no labels
    to silence on is skipped with the reason; the others are silenced."""
    if not comment.strip():
        raise InvalidInputError("Say why (comment).", fields={"comment": ["Required."]})
    if duration <= timedelta(0):
        raise InvalidInputError("A silence must last a while.", fields={"duration": ["Must be positive."]})
    done: list[int] = []
    skipped: list[tuple[int, str]] = []
    with transaction.atomic():
        groups = AlertGroup.objects.filter(pk__in=group_ids).only("pk", "state", "group_labels").in_bulk()
        for group_id in group_ids:
            group = groups.get(group_id)
            if group is None:
                skipped.append((group_id, "No such alert group"))  # as group_acknowledge says it
            elif group.state in (GroupState.RESOLVED, GroupState.SILENCED):
                skipped.append((group_id, f"already {group.state}"))
            elif not group.group_labels:
                skipped.append((group_id, "no group labels to silence on (create a silence by hand)"))
            else:
                labels = sorted(group.group_labels.items())
                matchers = [{"name": k, "value": str(v), "isRegex": False, "isEqual": True} for k, v in labels]
                try:
                    clean = validate_silence_matchers(matchers)
                except InvalidInputError as exc:
                    skipped.append((group_id, exc.message.rstrip(".")))
                    continue
                Silence.objects.create(
                    matchers=clean, starts_at=now, ends_at=now + duration, created_by=actor[:150], comment=comment
                )
                done.append(group_id)
        if done:
            _reflush_open_groups(now=now)
    return done, skipped


def silence_update(
    *, silence: Silence, matchers: Any, starts_at: datetime, ends_at: datetime, comment: str, now: datetime
) -> Silence:
    if suppression.silence_state(starts_at=silence.starts_at, ends_at=silence.ends_at, now=now) == "expired":
        raise ConflictError("An expired silence cannot be changed; create a new one.")
    clean = validate_silence_matchers(matchers)
    if ends_at <= starts_at:
        raise InvalidInputError("endsAt must be after startsAt.", fields={"endsAt": ["Must be after startsAt."]})
    with transaction.atomic():
        silence.matchers, silence.starts_at, silence.ends_at, silence.comment = clean, starts_at, ends_at, comment
        silence.save()
        _reflush_open_groups(now=now)
    return silence


def silence_expire(*, silence_id: Any, now: datetime) -> Silence:
    """End a silence now (Alertmanager's ``DELETE /silence/{id}``); conflict if already expired."""
    with transaction.atomic():
        silence = Silence.objects.select_for_update(no_key=True).filter(pk=silence_id).first()
        if silence is None:
            raise NotFoundError("No such silence.")
        if silence.ends_at <= now:
            raise ConflictError("This silence has already expired.")
        silence.ends_at = now
        if silence.starts_at > now:
            silence.starts_at = now
        silence.save()
        _reflush_open_groups(now=now)
    return silence


_WINDOW_CHECKED = ("starts_at", "ends_at", "recurrence", "matchers")


def maintenance_window_save(
    *, window: MaintenanceWindow | None, data: dict[str, Any], routes: list | None, now: datetime
) -> MaintenanceWindow:
    """Create or update a maintenance window (matchers and/or routes); re-evaluates open groups.

    An update may be partial: fields missing from ``data`` keep the window's values and ``routes=None`` keeps
    its routes; the window as it would be saved is what is checked."""
    merged = {name: getattr(window, name) for name in _WINDOW_CHECKED} if window is not None else {}
    merged.update(data)
    missing = [name for name in ("starts_at", "ends_at") if merged.get(name) is None]
    if missing:
        raise InvalidInputError(
            "A window needs a start and an end.", fields={name: ["This field is required."] for name in missing}
        )
    if merged["ends_at"] <= merged["starts_at"]:
        raise InvalidInputError("The window must end after it starts.", fields={"ends_at": ["Must be after start."]})
    if merged.get("recurrence", "none") not in suppression.RECURRENCES:
        raise InvalidInputError("Unknown recurrence.", fields={"recurrence": ["Invalid."]})
    try:
        parse_matchers(merged.get("matchers") or [])
    except MatcherError as exc:
        raise InvalidInputError(str(exc), fields={"matchers": [str(exc)]}) from None
    has_routes = bool(routes) if routes is not None else window is not None and window.routes.exists()
    if not merged.get("matchers") and not has_routes:
        raise InvalidInputError("Choose routes or give matchers: a window must say what it mutes.")
    with transaction.atomic():
        window = window or MaintenanceWindow()
        for key, value in data.items():
            setattr(window, key, value)
        window.save()
        if routes is not None:
            window.routes.set(routes)
        _reflush_open_groups(now=now)
    return window


def maintenance_window_delete(*, window: MaintenanceWindow, now: datetime) -> None:
    """Delete a maintenance window: the one way a window goes (the Maintenance page, ``DELETE`` in the API and
    the status page's scheduled maintenance all call this). What it muted is re-evaluated at once: open groups
    are flushed again after the delete, so a notification the window held back goes out now, not at the next
    flush. The deletion is audited (``alerts.maintenancewindow`` is tracked).

    A window made by a status-page maintenance (``status_maintenance``) belongs to it: deleting it here would
    leave the maintenance saying it mutes alerts while nothing does, and its next edit would bring the window
    back. So it raises ``ConflictError`` (cancel, complete or edit the maintenance instead); the status page's
    service detaches the window from its maintenance (or deletes the maintenance) before calling this."""
    with transaction.atomic():
        owned = MaintenanceWindow.objects.filter(pk=window.pk, status_maintenance__isnull=False).exists()
        if owned:
            raise ConflictError(
                "This window belongs to a scheduled maintenance of the status page; cancel or edit it there."
            )
        window.delete()
        _reflush_open_groups(now=now)
