"""Writes of schedules: the schedule itself, layers, overrides, swaps and the iCalendar layer.

Every layer is checked by the domain before it is saved (a handoff that does not exist in the zone,
restrictions that leave nothing, …) and the error names the field."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from alerts.senders import TargetNotAllowed, check_target
from oncall.choices import SwapState
from oncall.domain import ical as ical_domain
from oncall.domain import schedule as sched
from oncall.models import EscalationStep, Layer, Override, Schedule, Swap
from oncall.selectors import layer_domain, person_key, restrictions_of, schedule_inputs, schedule_list
from sre.auth.roles import user_has_role
from sre.choices import Role
from sre.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from sre.outbound import OutboundRefused, outbound_session

logger = logging.getLogger(__name__)
User = get_user_model()
ICAL_MAX_BYTES = 2 * 1024 * 1024
ICAL_TIMEOUT = 15.0
SWAP_TAKER = "whoever takes it"  # the person shown in a swap's preview


def _schedule_error(exc: sched.ScheduleError) -> InvalidInputError:
    return InvalidInputError(exc.message, fields={exc.field: [exc.message]})


def zone_check(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"Unknown time zone {name!r}.", fields={"time_zone": ["Unknown time zone."]}) from None
    return name


def schedule_save(*, schedule: Schedule | None, data: dict[str, Any], now: datetime | None = None) -> Schedule:
    """Create or update a schedule's own fields (name, team, time zone, fallback, iCal URL and level).

    A new or changed iCal URL is fetched once now, so a URL that is not a calendar is refused naming
    ``ical_url``; the ``oncall.ical_refresh`` task keeps it current afterwards."""
    schedule = schedule or Schedule()
    previous_url = schedule.ical_url
    for name in ("name", "team", "time_zone", "fallback", "ical_url", "ical_level"):
        if name in data:
            setattr(schedule, name, data[name])
    zone_check(schedule.time_zone)
    with transaction.atomic():
        schedule.save()
        for layer in schedule.layers.all():
            _layer_validate(layer, schedule.time_zone)
        if schedule.ical_url and schedule.ical_url != previous_url:
            _ical_from_url(schedule, now=now or timezone.now())
        elif not schedule.ical_url and previous_url:
            schedule.ical_text, schedule.ical_error = "", ""
            schedule.save(update_fields=["ical_text", "ical_error", "updated_at"])
    return schedule


def _ical_from_url(schedule: Schedule, *, now: datetime) -> None:
    try:
        ical_store(schedule=schedule, text=ical_fetch(schedule.ical_url), now=now)
    except InvalidInputError as exc:
        raise InvalidInputError(f"iCal URL: {exc.message}", fields={"ical_url": [exc.message]}) from None
    except (OSError, ValueError) as exc:
        message = f"could not fetch the calendar: {type(exc).__name__}: {exc}"[:300]
        raise InvalidInputError(f"iCal URL: {message}", fields={"ical_url": [message]}) from None


def schedule_delete(*, schedule: Schedule) -> None:
    """Delete a schedule; refused while an escalation policy step names it."""
    names = sorted(set(EscalationStep.objects.filter(schedule=schedule).values_list("policy__name", flat=True)))
    if names:
        raise ConflictError(f"Escalation policies page this schedule: {', '.join(names)}. Change them first.")
    schedule.delete()


def _layer_validate(layer: Layer, time_zone: str) -> None:
    try:
        domain = layer_domain(layer)
        sched.validate_layer(layer=domain, time_zone=time_zone)
    except sched.ScheduleError as exc:
        raise _schedule_error(exc) from None
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"Bad restriction: {exc}", fields={"restrictions": [str(exc)]}) from None


def layer_save(*, schedule: Schedule, layer: Layer | None, data: dict[str, Any]) -> Layer:
    """Create or update a layer after the domain accepts it. ``participants`` are user ids in order."""
    layer = layer or Layer(schedule=schedule)
    for name in ("name", "level", "rotation", "every", "start_date", "handoff_time", "end_date", "restrictions"):
        if name in data:
            setattr(layer, name, data[name])
    if "participants" in data:
        ids = [int(p) for p in data["participants"]]
        known = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
        missing = [p for p in ids if p not in known]
        if missing:
            raise InvalidInputError("Unknown people in the rotation.", fields={"participants": [str(missing)]})
        layer.participants = ids
    _layer_validate(layer, schedule.time_zone)
    layer.save()
    Schedule.objects.filter(pk=schedule.pk).update(updated_at=timezone.now())
    return layer


def layer_delete(*, layer: Layer) -> None:
    """Delete a layer; the final schedule changes from now on (running escalations keep their snapshot)."""
    schedule_id = layer.schedule_id
    layer.delete()
    Schedule.objects.filter(pk=schedule_id).update(updated_at=timezone.now())


def layer_preview(*, schedule: Schedule, data: dict[str, Any], start: datetime, end: datetime) -> sched.FinalSchedule:
    """The final schedule as it would be with this layer (new, or replacing ``data["id"]``): nothing saved."""
    layer = Layer(schedule=schedule, **{k: v for k, v in data.items() if k != "id"})
    layer.pk = data.get("id") or -1
    _layer_validate(layer, schedule.time_zone)
    inputs = schedule_inputs(schedule_list().get(pk=schedule.pk), start=start, end=end)
    layers = [x for x in inputs.layers if x.key != f"layer:{layer.pk}"] + [layer_domain(layer)]
    return sched.final_schedule(
        time_zone=inputs.time_zone,
        layers=layers,
        overrides=inputs.overrides,
        swaps=inputs.swaps,
        start=start,
        end=end,
        fallback=inputs.fallback,
    )


MAX_SPAN = timedelta(days=366)  # the longest override or swap


def span_check(*, start: datetime, end: datetime, what: str) -> None:
    """An override's or swap's stretch: it ends after it starts and lasts a year at most (``end`` named)."""
    if end <= start:
        raise InvalidInputError(f"The {what} must end after it starts.", fields={"end": ["Must be after start."]})
    if end - start > MAX_SPAN:
        raise InvalidInputError(
            f"This {what} lasts more than a year; a year is the most.", fields={"end": ["Too long."]}
        )


def override_create(*, schedule: Schedule, user_id: int, start: datetime, end: datetime, actor: Any) -> Override:
    """``user_id`` covers ``[start, end)``. A responder may create overrides for themselves only."""
    _own_only(actor=actor, user_id=user_id, what="overrides")
    span_check(start=start, end=end, what="override")
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        raise InvalidInputError("Unknown person.", fields={"user": ["Unknown person."]})
    return Override.objects.create(
        schedule=schedule, user_id=user_id, start=start, end=end, created_by=actor.get_username()
    )


def override_delete(*, override: Override, actor: Any) -> None:
    _own_only(actor=actor, user_id=override.user_id, what="overrides")
    override.delete()


def _own_only(*, actor: Any, user_id: int | None, what: str) -> None:
    if user_has_role(actor, Role.ADMIN):
        return
    if user_id != actor.pk:
        raise ForbiddenError(f"Responders manage {what} for themselves only; an admin manages others'.")


def swap_offer(
    *, schedule: Schedule, start: datetime, end: datetime, actor: Any, from_user_id: int | None = None
) -> Swap:
    """``actor`` (or, for an admin, ``from_user_id``) offers their shifts in ``[start, end)`` to anyone."""
    from_id = from_user_id or actor.pk
    _own_only(actor=actor, user_id=from_id, what="swaps")
    span_check(start=start, end=end, what="swap")
    return Swap.objects.create(schedule=schedule, from_user_id=from_id, start=start, end=end)


def swap_take(*, swap_id: int, actor: Any, now: datetime) -> Swap:
    """``actor`` takes an offered swap: they are on call wherever its offerer would have been."""
    with transaction.atomic():
        swap = Swap.objects.select_for_update().filter(pk=swap_id).first()
        if swap is None:
            raise NotFoundError("No such swap.")
        if swap.state != SwapState.OFFERED:
            raise ConflictError(f"This swap is {swap.get_state_display().lower()}.")
        if swap.from_user_id == actor.pk:
            raise ConflictError("You cannot take your own swap; cancel it instead.")
        swap.to_user_id, swap.state, swap.taken_at = actor.pk, SwapState.TAKEN, now
        swap.save(update_fields=["to_user", "state", "taken_at"])
    return swap


def swap_cancel(*, swap_id: int, actor: Any) -> Swap:
    with transaction.atomic():
        swap = Swap.objects.select_for_update().filter(pk=swap_id).first()
        if swap is None:
            raise NotFoundError("No such swap.")
        _own_only(actor=actor, user_id=swap.from_user_id, what="swaps")
        if swap.state == SwapState.CANCELLED:
            raise ConflictError("This swap is already cancelled.")
        swap.state = SwapState.CANCELLED
        swap.save(update_fields=["state"])
    return swap


def ical_url_check(url: str) -> str:
    try:
        check_target(url)
    except TargetNotAllowed as exc:
        raise InvalidInputError(f"iCal URL refused: {exc}", fields={"ical_url": [str(exc)]}) from None
    return url


def ical_store(*, schedule: Schedule, text: str | bytes, now: datetime) -> Schedule:
    """Keep an uploaded or fetched calendar after checking it parses (``ical`` field error otherwise)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        ical_domain.ical_events(
            text=text, start=now, end=now + timedelta(days=1), level=0, key="check", default_zone=schedule.time_zone
        )
    except sched.ScheduleError as exc:
        raise _schedule_error(exc) from None
    schedule.ical_text, schedule.ical_fetched_at, schedule.ical_error = text, now, ""
    schedule.save(update_fields=["ical_text", "ical_fetched_at", "ical_error", "updated_at"])
    return schedule


def ical_fetch(url: str) -> bytes:
    """GET a calendar through the outbound guard (connecting only to the address it checked, so DNS
    rebinding cannot reach an internal one), without redirects, at most ``ICAL_MAX_BYTES``."""
    ical_url_check(url)
    allow_private = settings.SRE.get("ALERTS_ALLOW_PRIVATE_TARGETS", False)
    headers = {"User-Agent": "sre-control-plane", "Accept": "text/calendar"}
    try:
        with outbound_session(allow_private=allow_private) as session:
            response = session.get(url, headers=headers, timeout=ICAL_TIMEOUT, allow_redirects=False, stream=True)
            with response:
                if response.status_code != 200:
                    message = f"the URL answered HTTP {response.status_code}, not a calendar"
                    raise InvalidInputError(message, fields={"ical_url": [message]})
                body = response.raw.read(ICAL_MAX_BYTES + 1, decode_content=True)
    except OutboundRefused as exc:
        raise InvalidInputError(f"iCal URL refused: {exc}", fields={"ical_url": [str(exc)]}) from None
    if len(body) > ICAL_MAX_BYTES:
        raise InvalidInputError("The calendar is larger than 2 MB.", fields={"ical_url": ["Too large."]})
    return body


def ical_refresh(*, schedule_id: int | None, now: datetime) -> int:
    """Fetch and store each schedule's iCal URL; a failure is kept in ``ical_error`` (the old calendar stays)."""
    rows = Schedule.objects.exclude(ical_url="")
    if schedule_id is not None:
        rows = rows.filter(pk=schedule_id)
    done = 0
    for schedule in rows:
        try:
            ical_store(schedule=schedule, text=ical_fetch(schedule.ical_url), now=now)
            done += 1
        except (InvalidInputError, OSError, ValueError) as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            Schedule.objects.filter(pk=schedule.pk).update(ical_error=message[:500])
            logger.warning("iCal refresh of schedule %s failed: %s", schedule.pk, message)
    return done


def restrictions_check(raw: Any) -> list[dict]:
    """Normalise restriction JSON; malformed entries are a ``restrictions`` field error."""
    if not isinstance(raw, list):
        raise InvalidInputError("Restrictions must be a list.", fields={"restrictions": ["Must be a list."]})
    try:
        restrictions_of(raw)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidInputError(f"Bad restriction: {exc}", fields={"restrictions": [str(exc)]}) from None
    return raw


def _preview(schedule: Schedule, *, start: datetime, end: datetime, override: sched.Override | None = None,
             swap: sched.Swap | None = None) -> sched.FinalSchedule:  # fmt: skip
    inputs = schedule_inputs(schedule_list().get(pk=schedule.pk), start=start, end=end)
    return sched.final_schedule(
        time_zone=inputs.time_zone, layers=inputs.layers,
        overrides=(*inputs.overrides, override) if override else inputs.overrides,
        swaps=(*inputs.swaps, swap) if swap else inputs.swaps, start=start, end=end, fallback=inputs.fallback,
    )  # fmt: skip


def override_preview(*, schedule: Schedule, user_id: int, start: datetime, end: datetime, win_start: datetime,
                     win_end: datetime) -> sched.FinalSchedule:  # fmt: skip
    """The final schedule over ``[win_start, win_end)`` as it would be with this override; nothing saved."""
    span_check(start=start, end=end, what="override")
    extra = sched.Override(key="override:preview", person=person_key(user_id), start=start, end=end)
    return _preview(schedule, start=win_start, end=win_end, override=extra)


def swap_preview(*, schedule: Schedule, from_user_id: int, start: datetime, end: datetime, win_start: datetime,
                 win_end: datetime) -> sched.FinalSchedule:  # fmt: skip
    """The final schedule as it would be once someone takes this swap (shown as "whoever takes it")."""
    span_check(start=start, end=end, what="swap")
    extra = sched.Swap(key="swap:preview", from_person=person_key(from_user_id), to_person=SWAP_TAKER, start=start,
                       end=end)  # fmt: skip
    return _preview(schedule, start=win_start, end=win_end, swap=extra)
