"""Reads of the oncall app: schedules turned into the domain's inputs, who is on call, policies with steps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Max, Prefetch, Q, QuerySet

from oncall.choices import SwapState
from oncall.domain import ical as ical_domain
from oncall.domain import schedule as sched
from oncall.models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    Layer,
    NotificationRule,
    Override,
    Page,
    PersonNotification,
    PersonSettings,
    RoutePolicy,
    Schedule,
    SeverityPolicy,
    Swap,
    Team,
)

if TYPE_CHECKING:  # the annotation of users_by_key (AUTH_USER_MODEL is Django's own User)
    from django.contrib.auth.models import User as AuthUser

User = get_user_model()
LOOKAHEAD = timedelta(days=35)  # how far "on call next" looks


def person_key(user_id: int) -> str:
    return str(user_id)


def restrictions_of(raw: Sequence[dict]) -> tuple[sched.Restriction, ...]:
    """The domain's restrictions from a layer's JSON (``[{"weekdays": [...], "start": "HH:MM", "end": ...}]``)."""
    return tuple(
        _restriction(tuple(int(d) for d in item.get("weekdays", ())), str(item.get("start", "00:00")),
                     str(item.get("end", "00:00")))
        for item in raw or ()
    )  # fmt: skip


@lru_cache(maxsize=4096)
def _restriction(weekdays: tuple[int, ...], start: str, end: str) -> sched.Restriction:
    return sched.Restriction(weekdays=weekdays, start=time.fromisoformat(start), end=time.fromisoformat(end))


def layer_domain(layer: Layer) -> sched.Layer:
    """The domain's layer for a row; memoised on the row's values, since "who is on call now" for every
    schedule converts thousands of rows and most of that time went here."""
    restrictions = tuple(
        (tuple(r.get("weekdays", ())), r.get("start", "00:00"), r.get("end", "00:00")) for r in layer.restrictions or ()
    )
    return _layer(layer.pk, layer.level, tuple(layer.participants), layer.rotation, layer.every, layer.start_date,
                  layer.handoff_time, layer.end_date, restrictions)  # fmt: skip


@lru_cache(maxsize=16384)
def _layer(pk, level, participants, rotation, every, start_date, handoff_time, end_date, restrictions) -> sched.Layer:
    return sched.Layer(
        key=f"layer:{pk}",
        level=level,
        participants=tuple(person_key(int(p)) for p in participants),
        rotation=rotation,
        every=every,
        start=datetime.combine(start_date, handoff_time),
        end=datetime.combine(end_date, handoff_time) if end_date else None,
        restrictions=restrictions_of([{"weekdays": w, "start": a, "end": b} for w, a, b in restrictions]),
    )


def schedule_count() -> int:
    return Schedule.objects.count()


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


def _related(schedule: Schedule, name: str) -> list:
    """Rows ``schedule_list()`` prefetched, read from the prefetch cache directly (a related manager per call
    cost a fifth of "who is on call now" across 1,000 schedules), else queried."""
    cached = getattr(schedule, "_prefetched_objects_cache", {}).get(name)
    return list(cached) if cached is not None else list(getattr(schedule, name).all())


def schedule_inputs(schedule: Schedule, *, start: datetime, end: datetime) -> ScheduleInputs:
    """The domain's view of a schedule (from ``schedule_list()``'s prefetches) for ``[start, end)``."""
    layers: list[sched.Layer | sched.FixedLayer] = [layer_domain(layer) for layer in _related(schedule, "layers")]
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
        for o in _related(schedule, "overrides")
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
        for s in _related(schedule, "swaps")
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


def users_by_key(keys: Iterable[str]) -> dict[str, AuthUser]:
    """Users for person keys (keys that are not user ids are left out)."""
    ids = {int(k) for k in keys if str(k).isdigit()}
    return {person_key(u.pk): u for u in User.objects.filter(pk__in=ids)}


def user_label(user: object) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "username", str(user))


def team_list() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members")


def teams_with_schedules() -> list[Team]:
    """Every team by name, with its members and schedules (the Teams page)."""
    return list(Team.objects.prefetch_related("members", "schedules").order_by("name"))


def teams_of(*, user_id: int) -> list[Team]:
    """The teams a person belongs to, by name."""
    return list(Team.objects.filter(members__id=user_id).order_by("name"))


def team_member_ids(*, team_id: int) -> list[int]:
    return list(Team.members.through.objects.filter(team_id=team_id).values_list("user_id", flat=True))


def feed_owner(*, token_digest: str) -> PersonSettings | None:
    """The person whose calendar feed this token digest opens (with the user), or None."""
    return PersonSettings.objects.filter(feed_token_digest=token_digest).select_related("user").first()


def schedule_get(*, schedule_id: int) -> Schedule | None:
    """One schedule with everything its final schedule needs (``schedule_list``), or None."""
    return schedule_list().filter(pk=schedule_id).first()


def override_get(*, schedule_id: int, override_id: int) -> Override | None:
    """One override of the schedule, with its person and schedule, or None."""
    return Override.objects.select_related("user", "schedule").filter(pk=override_id, schedule_id=schedule_id).first()


def policy_choices() -> QuerySet[EscalationPolicy]:
    """Policies by name, for a select."""
    return EscalationPolicy.objects.order_by("name")


def policy_list() -> QuerySet[EscalationPolicy]:
    return EscalationPolicy.objects.select_related("team").prefetch_related("steps", "routes")


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
    """Offered and taken swaps (queried: ``schedule_list()`` prefetches only the taken ones)."""
    return (
        Swap.objects.filter(schedule_id=schedule.pk)
        .select_related("from_user", "to_user")
        .exclude(state=SwapState.CANCELLED)
    )


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


# Reads of the On call pages (oncall/views*.py): each returns plain values ready to show; names of people
# are looked up once per page.


@dataclass(frozen=True)
class PersonRef:
    """A person as a page shows them: ``pk`` is None for a name that matches no user (an iCal summary)."""

    key: str
    pk: int | None
    label: str


def people_refs(keys: Iterable[str]) -> dict[str, PersonRef]:
    """``PersonRef`` for each person key (one query)."""
    keys = set(keys)
    users = users_by_key(keys)
    return {
        k: PersonRef(key=k, pk=users[k].pk, label=user_label(users[k])) if k in users else PersonRef(k, None, k)
        for k in keys
    }


@dataclass(frozen=True)
class ScheduleNow:
    schedule: Schedule
    now: tuple[PersonRef, ...]
    next_shift: sched.Shift | None
    next: tuple[PersonRef, ...]


@dataclass(frozen=True)
class TeamNow:
    team: Team
    schedules: tuple[ScheduleNow, ...]
    now: tuple[PersonRef, ...]  # everyone on call now on any of the team's schedules


def oncall_now(*, at: datetime, limit: int | None = None, with_next: bool = True) -> list[ScheduleNow]:
    """Who is on call at ``at`` on each schedule (the first ``limit``), and with ``with_next`` who takes over
    next (within ``LOOKAHEAD``; that costs a final schedule per schedule)."""
    found = []
    for schedule in schedule_list()[:limit] if limit else schedule_list():
        nxt = schedule_next_shift(schedule, at=at) if with_next else None
        found.append((schedule, schedule_oncall_at(schedule, at=at), nxt))
    refs = people_refs(
        {k for _, keys, _ in found for k in keys} | {k for _, _, nxt in found if nxt for k in nxt.people}
    )
    return [
        ScheduleNow(
            schedule=s,
            now=tuple(refs[k] for k in keys),
            next_shift=nxt,
            next=tuple(refs[k] for k in nxt.people) if nxt else (),
        )
        for s, keys, nxt in found
    ]


def oncall_board(*, at: datetime) -> tuple[list[ScheduleNow], list[TeamNow]]:
    """Who is on call now and next on every schedule, and per team (teams without a schedule included)."""
    rows = oncall_now(at=at)
    teams = []
    for team in Team.objects.order_by("name"):
        mine = tuple(r for r in rows if r.schedule.team_id == team.pk)
        people = {p.key: p for r in mine for p in r.now}
        teams.append(TeamNow(team=team, schedules=mine, now=tuple(sorted(people.values(), key=lambda p: p.label))))
    return rows, teams


def people_options() -> QuerySet:
    """People who can be put on call or paged (active users), by name."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def notification_list(*, state: str = "", kind: str = "", user_id: int | None = None) -> QuerySet:
    """The paging ledger, newest first, filtered."""
    rows = PersonNotification.objects.select_related("user", "group").order_by("-created_at", "-pk")
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if user_id:
        rows = rows.filter(user_id=user_id)
    return rows


def policy_routes(*, policy_id: int) -> QuerySet:
    """The alert routes that page with a policy."""
    return RoutePolicy.objects.filter(policy_id=policy_id).select_related("route").order_by("route__name", "pk")


def severity_matrix() -> QuerySet:
    """Every team's severity → policy rows."""
    return SeverityPolicy.objects.select_related("team", "policy").order_by("team__name", "severity")


def overrides_upcoming(schedule: Schedule, *, now: datetime) -> QuerySet[Override]:
    """The schedule's overrides that have not ended yet."""
    return overrides_of(schedule).filter(end__gt=now)


def swaps_upcoming(schedule: Schedule, *, now: datetime) -> QuerySet[Swap]:
    """The schedule's offered and taken swaps that have not ended yet. Queried afresh: ``schedule_list()``'s
    prefetch of ``swaps`` holds only taken ones, and a queryset built on it would keep that filter."""
    rows = Swap.objects.filter(schedule_id=schedule.pk, end__gt=now).exclude(state=SwapState.CANCELLED)
    return rows.select_related("from_user", "to_user").order_by("start", "pk")


def group_escalations(*, group_id: int) -> dict:
    """An alert group's escalations (newest first, with pages) and its last 20 ledger rows."""
    escalations = list(Escalation.objects.filter(group_id=group_id).prefetch_related("pages").order_by("-pk")[:5])
    notifications = list(
        PersonNotification.objects.filter(group_id=group_id).select_related("user").order_by("-pk")[:20]
    )
    return {"escalations": escalations, "notifications": notifications}


def group_escalation_steps(*, group_ids: Iterable[int]) -> dict[int, dict]:
    """The newest escalation of each alert group in ``group_ids``, for the alert list (two queries, any number
    of groups): ``{group_id: {"policy", "state", "state_label", "step", "steps", "due_at", "paged"}}`` where
    ``step`` is the number of steps run so far of ``steps`` and ``paged`` the people paged, in order.

    Named (not imported) by the alerts app, which oncall depends on: ``alerts.views_triage.ESCALATION_READER``."""
    ids = [int(pk) for pk in group_ids]
    if not ids:
        return {}
    newest = Escalation.objects.filter(group_id__in=ids).values("group_id").annotate(last=Max("pk")).values("last")
    rows = Escalation.objects.filter(pk__in=newest).prefetch_related(
        Prefetch("pages", queryset=Page.objects.only("pk", "escalation_id", "person").order_by("created_at", "pk"))
    )
    return {
        row.group_id: {
            "policy": row.snapshot.get("policy_name", ""),
            "state": row.state,
            "state_label": row.get_state_display(),
            "step": row.step,
            "steps": len(row.snapshot.get("steps", [])),
            "due_at": row.due_at,
            "paged": list(dict.fromkeys(page.person for page in row.pages.all())),
        }
        for row in rows
    }
