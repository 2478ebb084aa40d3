"""Reads of the oncall app: schedules turned into the domain's inputs, who is on call, policies with steps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from oncall.choices import SwapState
from oncall.domain import ical as ical_domain
from oncall.domain import schedule as sched
from oncall.models import ContactMethod, EscalationPolicy, Layer, NotificationRule, Override, Schedule, Swap, Team

User = get_user_model()
LOOKAHEAD = timedelta(days=35)  # how far "on call next" looks


def person_key(user_id: int) -> str:
    return str(user_id)


def restrictions_of(raw: Sequence[dict]) -> tuple[sched.Restriction, ...]:
    """The domain's restrictions from a layer's JSON (``[{"weekdays": [...], "start": "HH:MM", "end": ...}]``)."""
    out = []
    for item in raw or ():
        out.append(
            sched.Restriction(
                weekdays=tuple(int(d) for d in item.get("weekdays", ())),
                start=time.fromisoformat(str(item.get("start", "00:00"))),
                end=time.fromisoformat(str(item.get("end", "00:00"))),
            )
        )
    return tuple(out)


def layer_domain(layer: Layer) -> sched.Layer:
    return sched.Layer(
        key=f"layer:{layer.pk}",
        level=layer.level,
        participants=tuple(person_key(int(p)) for p in layer.participants),
        rotation=layer.rotation,
        every=layer.every,
        start=datetime.combine(layer.start_date, layer.handoff_time),
        end=datetime.combine(layer.end_date, layer.handoff_time) if layer.end_date else None,
        restrictions=restrictions_of(layer.restrictions),
    )


def schedule_list() -> QuerySet[Schedule]:
    """Schedules with everything the final schedule needs, in a constant number of queries."""
    return Schedule.objects.select_related("team", "fallback").prefetch_related(
        "layers",
        "overrides",
        Prefetch("swaps", queryset=Swap.objects.filter(state=SwapState.TAKEN)),
    )


@dataclass(frozen=True)
class ScheduleInputs:
    time_zone: str
    layers: tuple[sched.Layer | sched.FixedLayer, ...]
    overrides: tuple[sched.Override, ...]
    swaps: tuple[sched.Swap, ...]
    fallback: str | None


def schedule_inputs(schedule: Schedule, *, start: datetime, end: datetime) -> ScheduleInputs:
    """The domain's view of a schedule (from ``schedule_list()``'s prefetches) for ``[start, end)``."""
    layers: list[sched.Layer | sched.FixedLayer] = [layer_domain(layer) for layer in schedule.layers.all()]
    if schedule.ical_text:
        try:
            fixed = ical_domain.ical_events(
                text=schedule.ical_text,
                start=start,
                end=end,
                level=schedule.ical_level,
                key=f"ical:{schedule.pk}",
                default_zone=schedule.time_zone,
            )
            layers.append(_ical_people(fixed))
        except sched.ScheduleError:
            pass  # shown on the schedule page from ical_error; the other layers still count
    overrides = tuple(
        sched.Override(key=f"override:{o.pk}", person=person_key(o.user_id), start=o.start, end=o.end)
        for o in schedule.overrides.all()
        if o.end > start and o.start < end
    )
    swaps = tuple(
        sched.Swap(
            key=f"swap:{s.pk}",
            from_person=person_key(s.from_user_id),
            to_person=person_key(s.to_user_id),
            start=s.start,
            end=s.end,
        )
        for s in schedule.swaps.all()
        if s.state == SwapState.TAKEN and s.to_user_id and s.end > start and s.start < end
    )
    fallback = person_key(schedule.fallback_id) if schedule.fallback_id else None
    return ScheduleInputs(schedule.time_zone, tuple(layers), overrides, swaps, fallback)


def _ical_people(fixed: sched.FixedLayer) -> sched.FixedLayer:
    """iCal events name people by username or email (as Grafana OnCall does): map them to user keys; a name
    that matches nobody stays as it is (shown, but it cannot be paged)."""
    names = {p for s in fixed.shifts for p in s.people}
    if not names:
        return fixed
    users = User.objects.filter(Q(username__in=names) | Q(email__in=names)).values_list("pk", "username", "email")
    keys: dict[str, str] = {}
    for pk, username, email in users:
        keys[username] = person_key(pk)
        if email:
            keys.setdefault(email, person_key(pk))
    shifts = tuple(
        sched.Shift(start=s.start, end=s.end, people=tuple(sorted(keys.get(p, p) for p in s.people)), source=s.source)
        for s in fixed.shifts
    )
    return sched.FixedLayer(key=fixed.key, level=fixed.level, shifts=shifts)


def schedule_final(schedule: Schedule, *, start: datetime, end: datetime) -> sched.FinalSchedule:
    inputs = schedule_inputs(schedule, start=start, end=end)
    return sched.final_schedule(
        time_zone=inputs.time_zone,
        layers=inputs.layers,
        overrides=inputs.overrides,
        swaps=inputs.swaps,
        start=start,
        end=end,
        fallback=inputs.fallback,
    )


def schedule_oncall_at(schedule: Schedule, *, at: datetime) -> tuple[str, ...]:
    """Person keys on call on ``schedule`` at ``at`` (fallback included)."""
    inputs = schedule_inputs(schedule, start=at - timedelta(days=1), end=at + timedelta(days=1))
    return sched.on_call_at(
        time_zone=inputs.time_zone,
        layers=inputs.layers,
        overrides=inputs.overrides,
        swaps=inputs.swaps,
        at=at,
        fallback=inputs.fallback,
    )


def schedule_next_shift(schedule: Schedule, *, at: datetime) -> sched.Shift | None:
    """The first final shift that starts after ``at`` with other people than now (within ``LOOKAHEAD``)."""
    final = schedule_final(schedule, start=at, end=at + LOOKAHEAD)
    current = final.shifts[0].people if final.shifts and final.shifts[0].start <= at else ()
    for shift in final.shifts:
        if shift.start > at and shift.people != current:
            return shift
    return None


def users_by_key(keys: Iterable[str]) -> dict[str, object]:
    """Users for person keys (keys that are not user ids are left out)."""
    ids = {int(k) for k in keys if str(k).isdigit()}
    return {person_key(u.pk): u for u in User.objects.filter(pk__in=ids)}


def user_label(user: object) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "username", str(user))


def team_list() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members")


def policy_list() -> QuerySet[EscalationPolicy]:
    return EscalationPolicy.objects.select_related("team").prefetch_related("steps")


def contact_methods_of(*, user_id: int) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(user_id=user_id).order_by("pk")


def rules_of(*, user_id: int) -> QuerySet[NotificationRule]:
    return NotificationRule.objects.filter(user_id=user_id).select_related("contact_method")


def shifts_of(*, user_id: int, start: datetime, end: datetime) -> list[tuple[Schedule, sched.Shift]]:
    """A person's final shifts on every schedule between ``start`` and ``end`` ("my shifts")."""
    key = person_key(user_id)
    out = []
    for schedule in schedule_list():
        for shift in schedule_final(schedule, start=start, end=end).shifts:
            if key in shift.people:
                out.append((schedule, shift))
    out.sort(key=lambda pair: pair[1].start)
    return out


def overrides_of(schedule: Schedule) -> QuerySet[Override]:
    return schedule.overrides.select_related("user")


def swaps_of(schedule: Schedule) -> QuerySet[Swap]:
    return schedule.swaps.select_related("from_user", "to_user").exclude(state=SwapState.CANCELLED)


def address_masked(method: ContactMethod) -> str:
    """How a contact address is shown: enough to recognise it, never an Apprise token or a full number."""
    address = method.address or ""
    if method.kind == "email" and "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}…@{domain}"
    if method.kind in ("sms", "voice"):
        return f"{address[:3]}…{address[-3:]}" if len(address) > 6 else "…"
    scheme, sep, rest = address.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…" if sep else "…"
