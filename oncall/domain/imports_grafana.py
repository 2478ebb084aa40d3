"""Grafana OnCall public API JSON → an import plan (``oncall.domain.imports``).

Input: ``{"users", "schedules", "on_call_shifts", "escalation_chains", "escalation_policies"}``, each a
list or a page of the public API (field names from grafana/oncall ``engine/apps/public_api/serializers/``:
users.py, schedules_*.py, on_call_shifts.py, escalation_chains.py, escalation_policies.py; semantics
from ``apps/schedules/models/custom_on_call_shift.py`` and ``apps/alerts/escalation_snapshot/``).

Shifts. A shift's times are local in its ``time_zone``, else in the schedule's zone (calendar schedules)
or UTC (web schedules), as OnCall renders them. A rotation (``rolling_users``, or ``recurrent_event``
with the same people every time) repeats every ``interval`` hours/days/weeks from ``start``; group ``k``
of ``rolling_users`` (after ``start_rotation_from_user_index``) takes repeat ``k``, ``k + n``, … and each
repeat lasts ``duration`` on the local clock. That is exactly one of our layers when:
- the repeat is as long as the interval (back-to-back turns), or the interval is one day or one week
  and the shift is shorter (our restriction windows then cut each turn to the shift);
- ``by_day`` with weekly frequency and interval 1: the week's turn starts on the first selected day
  (counted from ``week_start``) and windows cover each selected day's shift;
- ``by_day`` with daily frequency: OnCall hands over only on selected days (``interval`` selected days
  per group); the turns are checked against ours (every ``interval`` days, or every week when
  ``interval`` is a multiple of the number of days) over a whole cycle, and used only if equal.
Anything else (monthly, ``by_month``/``by_monthday``, hourly outside UTC, groups of several people,
``rotation_start`` after ``start``, a future ``until``, shifts overlapping themselves) is listed.
Overrides become overrides. Higher ``level`` wins in both products.

Escalation policies (``position`` order): ``wait`` (``duration`` s, default 5 min), ``notify_persons``,
``notify_on_call_from_schedule`` (with ``important``), ``notify_if_time_from_to`` (a daily UTC window;
OnCall, like us, holds the escalation until the window opens) and the first ``repeat_escalation`` (OnCall
repeats 5 times) map; round-robin "next each time" (OnCall remembers the last person across alert
groups), team and Slack user group steps, webhooks by id, ``resolve`` and the rest are listed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oncall.domain.imports import (
    DAY,
    NOTIFY_PERSONS,
    NOTIFY_SCHEDULE,
    REPEAT,
    TIME_WINDOW,
    WAIT,
    WEEKDAY_CODES,
    ImportFormatError,
    ImportPlan,
    LayerPlan,
    OverridePlan,
    PolicyPlan,
    SchedulePlan,
    StepPlan,
    Unmapped,
    aware,
    clock,
    document_check,
    id_list,
    integer,
    items_of,
    layer_problem,
    naive_or_local,
    people_of,
    text,
    time_of_day,
    week_windows,
    zone_name,
)
from oncall.domain.localtime import local_to_utc, zone

KINDS = ("users", "schedules", "on_call_shifts", "escalation_chains", "escalation_policies")
UNITS = {"hourly": ("hours", 3600), "daily": ("days", DAY), "weekly": ("weeks", 7 * DAY)}
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Universal", "Zulu"})
REPEATS = 5  # EscalationPolicy.MAX_TIMES_REPEAT in OnCall
DEFAULT_WAIT = 300  # EscalationPolicy.DEFAULT_WAIT_DELAY in OnCall
SIMULATION_LIMIT = 200_000


def grafana_plan(*, document: Any, now: datetime) -> ImportPlan:
    """The plan for a Grafana OnCall document; ImportFormatError for a document of the wrong shape."""
    document = document_check(document, kinds=KINDS)
    out: list[Unmapped] = []
    people = people_of(document, out, name_key="username")
    shifts = {}
    for index, shift in enumerate(items_of(document, "on_call_shifts", out)):
        shifts[text(shift, "id", where=f"on_call_shifts[{index}]")] = (index, shift)
    used: set[str] = set()
    schedules = []
    for index, raw in enumerate(items_of(document, "schedules", out)):
        schedules.append(_schedule(raw, where=f"schedules[{index}]", shifts=shifts, used=used, now=now, out=out))
    for sid, (_, shift) in shifts.items():
        if sid not in used:
            out.append(Unmapped(f'shift "{shift.get("name") or sid}"', "belongs to no schedule in the document"))
    chains = {}
    for index, chain in enumerate(items_of(document, "escalation_chains", out)):
        chains[text(chain, "id", where=f"escalation_chains[{index}]")] = chain
    steps_of: dict[str, list[tuple[int, int, dict[str, Any]]]] = {cid: [] for cid in chains}
    for index, step in enumerate(items_of(document, "escalation_policies", out)):
        where = f"escalation_policies[{index}]"
        cid = text(step, "escalation_chain_id", where=where)
        if cid not in steps_of:
            out.append(
                Unmapped(f"escalation step {step.get('id') or index}", f"its chain {cid} is not in the document")
            )
            continue
        steps_of[cid].append((integer(step, "position", where=where, default=index), index, step))
    policies = []
    for cid, chain in chains.items():
        name = text(chain, "name", where="escalation_chains", required=False) or cid
        label = f'escalation chain "{name}"'
        if chain.get("team_id"):
            out.append(Unmapped(f"{label} team", "teams are not imported; the policy has no team"))
        steps: list[StepPlan] = []
        repeated = False
        for position, index, step in sorted(steps_of[cid], key=lambda row: row[:2]):
            plan = _step(step, item=f"{label} step {position + 1}", where=f"escalation_policies[{index}]", out=out)
            if plan is not None and plan.kind == REPEAT:
                if repeated:
                    out.append(
                        Unmapped(plan.item, "a second repeat step: OnCall counts repeats per step, we per policy")
                    )
                    continue
                repeated = True
            if plan is not None:
                steps.append(plan)
        policies.append(PolicyPlan(cid, name, tuple(steps)))
    return ImportPlan("grafana", people, tuple(schedules), tuple(policies), tuple(out))


# --- schedules ------------------------------------------------------------------------------------


def _schedule(
    raw: dict[str, Any],
    *,
    where: str,
    shifts: dict[str, tuple[int, dict[str, Any]]],
    used: set[str],
    now: datetime,
    out: list[Unmapped],
) -> SchedulePlan:
    sid = text(raw, "id", where=where)
    name = text(raw, "name", where=where, required=False) or sid
    kind = raw.get("type")
    label = f'schedule "{name}"'
    if raw.get("team_id"):
        out.append(Unmapped(f"{label} team", "teams are not imported; the schedule has no team"))
    if raw.get("ical_url_overrides"):
        out.append(Unmapped(f"{label} ical_url_overrides", "one iCalendar URL per schedule here (the primary)"))
    if kind == "ical":
        url = text(raw, "ical_url_primary", where=where)
        return SchedulePlan(sid, name, "UTC", ical_url=url)
    if kind not in ("calendar", "web"):
        raise ImportFormatError("type is calendar, ical or web.", field=f"{where}.type")
    schedule_zone = zone_name(text(raw, "time_zone", where=where, required=False) or "UTC", where=f"{where}.time_zone")
    own = set(id_list(raw.get("shifts"), where=f"{where}.shifts"))
    mine = [(sid_, row) for sid_, row in shifts.items() if sid_ in own or row[1].get("schedule") == sid]
    default_zone = schedule_zone if kind == "calendar" else "UTC"
    rotations, overrides = [], []
    for shift_id, (index, shift) in mine:
        used.add(shift_id)
        at = f"on_call_shifts[{index}]"
        shift_zone = zone_name(text(shift, "time_zone", where=at, required=False) or default_zone, where=at)
        item = f'{label} shift "{shift.get("name") or shift_id}"'
        if shift.get("type") == "override":
            overrides.extend(_overrides(shift, item=item, where=at, time_zone=shift_zone))
        elif shift.get("type") == "single_event":
            out.append(Unmapped(item, "a one-off shift: our layers repeat (add it as an override if it should win)"))
        elif shift.get("type") in ("rolling_users", "recurrent_event"):
            rotations.append((item, at, shift, shift_zone))
        else:
            raise ImportFormatError("Unknown shift type.", field=f"{at}.type")
    # Our layers are local in the schedule's zone: use the zone the rotations share.
    zones = {z for _, _, _, z in rotations}
    time_zone = zones.pop() if len(zones) == 1 else schedule_zone
    if time_zone != schedule_zone:
        out.append(
            Unmapped(f"{label} time_zone", f"kept in {time_zone}, the zone its rotations are in, not {schedule_zone}")
        )
    layers: list[LayerPlan] = []
    for item, at, shift, shift_zone in rotations:
        if shift_zone != time_zone:
            out.append(Unmapped(item, f"in {shift_zone}, unlike the schedule's other rotations ({time_zone})"))
            continue
        layers.extend(_rotation(shift, item=item, where=at, time_zone=time_zone, now=now, out=out))
    return SchedulePlan(sid, name, time_zone, tuple(layers), tuple(overrides))


def _overrides(shift: dict[str, Any], *, item: str, where: str, time_zone: str) -> list[OverridePlan]:
    start_local = naive_or_local(shift.get("start"), where=f"{where}.start", time_zone=time_zone)
    duration = integer(shift, "duration", where=where)
    tz = zone(time_zone)
    start = local_to_utc(start_local, tz)
    end = local_to_utc(start_local + timedelta(seconds=duration), tz)  # OnCall adds the duration on the local clock
    people = id_list(shift.get("users"), where=f"{where}.users")
    if not people:
        people = tuple(p for group in _groups(shift, where=where) for p in group)
    return [OverridePlan(item, person, start, end) for person in people]


def _groups(shift: dict[str, Any], *, where: str) -> list[tuple[str, ...]]:
    raw = shift.get("rolling_users") or []
    if not isinstance(raw, list):
        raise ImportFormatError("Expected a list of lists of user ids.", field=f"{where}.rolling_users")
    return [id_list(group, where=f"{where}.rolling_users[{i}]") for i, group in enumerate(raw)]


def _rotation(
    shift: dict[str, Any], *, item: str, where: str, time_zone: str, now: datetime, out: list[Unmapped]
) -> list[LayerPlan]:
    def skip(reason: str) -> list[LayerPlan]:
        out.append(Unmapped(item, reason))
        return []

    if shift.get("type") == "rolling_users":
        groups = _groups(shift, where=where)
        first = integer(shift, "start_rotation_from_user_index", where=where, default=0)
        if groups:
            first %= len(groups)
            groups = groups[first:] + groups[:first]
    else:
        groups = [id_list(shift.get("users"), where=f"{where}.users")]
    if not groups or any(not g for g in groups):
        return skip("nobody is in the rotation")
    if len(groups) > 1 and any(len(g) != 1 for g in groups):
        return skip("turns taken by groups of several people: our layers have one person per turn")
    until = aware_utc(shift.get("until"), where=f"{where}.until")
    if until is not None and until <= now:
        return skip(f"ended at {until:%Y-%m-%d %H:%M}Z (until), before the import")
    if until is not None:
        return skip("ends in the future (until): OnCall ends at the last repeat starting before it, ours at a handoff")
    if shift.get("by_month") or shift.get("by_monthday"):
        return skip("by_month/by_monthday cannot be expressed as weekly windows")
    frequency = shift.get("frequency")
    if frequency not in UNITS:
        return skip(f"frequency {frequency!r}: only hourly, daily and weekly rotations map")
    start = naive_or_local(shift.get("start"), where=f"{where}.start", time_zone=time_zone)
    if shift.get("rotation_start") is not None:
        rotation_start = naive_or_local(shift["rotation_start"], where=f"{where}.rotation_start", time_zone=time_zone)
        if rotation_start != start:
            return skip("rotation_start differs from start (an edited rotation): not mapped")
    duration = integer(shift, "duration", where=where)
    interval = integer(shift, "interval", where=where, default=1)
    if duration <= 0 or interval <= 0:
        return skip("duration and interval must be positive")
    days = _by_day(shift.get("by_day"), where=f"{where}.by_day")
    rhythm = _rhythm(
        frequency=frequency,
        interval=interval,
        days=days,
        week_start=_weekday(shift.get("week_start") or "SU", where=f"{where}.week_start"),
        start=start,
        duration=duration,
        groups=len(groups),
        utc=time_zone in UTC_NAMES,
    )
    if isinstance(rhythm, str):
        return skip(rhythm)
    rotation, every, first_handoff, windows = rhythm
    level = integer(shift, "level", where=where, default=0)
    name = str(shift.get("name") or "")[:100]
    # The same people every time: one layer each (all on call together); else one person per turn.
    participant_sets: list[tuple[str, ...]] = (
        [(p,) for p in groups[0]] if len(groups) == 1 else [tuple(g[0] for g in groups)]
    )
    plans = []
    for participants in participant_sets:
        plan = LayerPlan(item, name, level, rotation, every, first_handoff, participants, windows)
        problem = layer_problem(plan, time_zone=time_zone)
        if problem:
            return skip(problem)
        plans.append(plan)
    return plans


def aware_utc(value: Any, *, where: str) -> datetime | None:
    """OnCall's ``until`` ("YYYY-MM-DDTHH:MM:SS", UTC as its RRULE uses it)."""
    if value is None:
        return None
    if isinstance(value, str) and not value.endswith("Z") and "+" not in value[10:]:
        value += "+00:00"
    return aware(value, where=where)


def _weekday(code: Any, *, where: str) -> int:
    if code not in WEEKDAY_CODES:
        raise ImportFormatError(f"Expected one of {', '.join(WEEKDAY_CODES)}.", field=where)
    return WEEKDAY_CODES.index(code)


def _by_day(value: Any, *, where: str) -> tuple[int, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise ImportFormatError("Expected a list of weekday codes.", field=where)
    return tuple(sorted({_weekday(code, where=where) for code in value}))


Rhythm = tuple[str, int, datetime, tuple[Any, ...]] | str


def _rhythm(
    *,
    frequency: str,
    interval: int,
    days: tuple[int, ...],
    week_start: int,
    start: datetime,
    duration: int,
    groups: int,
    utc: bool,
) -> Rhythm:
    """(rotation, every, first handoff, windows) of our layer, or why there is none."""
    unit, size = UNITS[frequency]
    if frequency == "daily" and len(days) == 7:
        days = ()
    if days and start.weekday() not in days:
        # OnCall moves the start to the first selected day, counting from week_start.
        first = next(d % 7 for d in range(week_start, week_start + 7) if d % 7 in days)
        start += timedelta(days=(first - start.weekday()) % 7)
    clock = start.hour * 3600 + start.minute * 60 + start.second
    period = interval * size
    if frequency == "hourly":
        if days:
            return "by_day on an hourly rotation cannot be expressed"
        if not utc:
            return "hourly rotation outside UTC: OnCall repeats on the local clock, ours in absolute hours"
        if duration != period:
            return f"shifts of {duration} s every {period} s: only back-to-back hourly turns map"
        return unit, interval, start, ()
    if not days:
        if duration > period:
            return "each repeat lasts longer than the interval (overlapping shifts)"
        if duration == period:
            return unit, interval, start, ()
        if interval != 1:
            return f"a {duration} s shift every {interval} {unit}: our windows repeat weekly"
        weekdays = range(7) if frequency == "daily" else (start.weekday(),)
        windows = week_windows((day * DAY + clock, duration) for day in weekdays)
        return unit, 1, start, windows or ()
    gaps = [((b - a) % 7 or 7) * DAY for a, b in zip(days, days[1:] + days[:1], strict=True)]
    if duration > min(gaps):
        return "the selected days' shifts overlap each other"
    windows = week_windows((day * DAY + clock, duration) for day in days) or ()
    if frequency == "weekly":
        if interval != 1:
            return "by_day with a weekly interval above 1 leaves whole weeks out"
        first = next(d % 7 for d in range(week_start, week_start + 7) if d % 7 in days)
        if start.weekday() != first:
            return "the rotation starts on a selected day other than the week's first"
        return "weeks", 1, start, windows
    offsets = sorted((d - start.weekday()) % 7 for d in days)
    for every_days in ([7 * interval // len(days)] if interval % len(days) == 0 else []) + [interval]:
        if duration <= every_days * DAY and _same_turns(offsets, interval, every_days, groups):
            if every_days % 7 == 0:
                return "weeks", every_days // 7, start, windows
            return "days", every_days, start, windows
    return "OnCall hands over on the selected days only; no rotation here gives the same turns"


def _same_turns(offsets: list[int], interval: int, every_days: int, groups: int) -> bool:
    """Whether OnCall's turn of each selected day (``interval`` selected days per group) equals ours
    (``every_days`` calendar days per turn) over a whole cycle of both (``groups * interval`` weeks)."""
    count = len(offsets)
    weeks = groups * interval
    if weeks * count > SIMULATION_LIMIT:
        return False
    for week in range(weeks):
        for position, offset in enumerate(offsets):
            theirs = ((week * count + position) // interval) % groups
            ours = ((week * 7 + offset) // every_days) % groups
            if theirs != ours:
                return False
    return True


# --- escalation -----------------------------------------------------------------------------------


def _step(step: dict[str, Any], *, item: str, where: str, out: list[Unmapped]) -> StepPlan | None:
    kind = step.get("type")
    important = bool(step.get("important"))

    def skip(reason: str) -> StepPlan | None:
        out.append(Unmapped(f"{item} ({kind})", reason))
        return None

    if kind == "wait":
        seconds = step.get("duration")
        seconds = DEFAULT_WAIT if seconds is None else integer(step, "duration", where=where)
        if seconds % 60 or not 60 <= seconds <= 86_400:
            return skip(f"a wait of {seconds} s is not whole minutes from 1 to 1440")
        return StepPlan(item, WAIT, wait_minutes=seconds // 60)
    if kind == "notify_persons":
        persons = id_list(step.get("persons_to_notify"), where=f"{where}.persons_to_notify")
        if not persons:
            return skip("nobody to notify")
        return StepPlan(item, NOTIFY_PERSONS, persons=persons, important=important)
    if kind == "notify_on_call_from_schedule":
        schedule = text(step, "notify_on_call_from_schedule", where=where)
        return StepPlan(item, NOTIFY_SCHEDULE, schedule=schedule, important=important)
    if kind == "notify_if_time_from_to":
        start = time_of_day(step.get("notify_if_time_from"), where=f"{where}.notify_if_time_from")
        end = time_of_day(step.get("notify_if_time_to"), where=f"{where}.notify_if_time_to")
        if start == end:
            return skip("a window that starts where it ends (OnCall waits for that time; ours would never wait)")
        window = (tuple(range(7)), clock(start), clock(end), "UTC")
        return StepPlan(item, TIME_WINDOW, window=window)
    if kind == "repeat_escalation":
        return StepPlan(item, REPEAT, repeat_times=REPEATS)
    reasons = {
        "notify_person_next_each_time": "OnCall's round robin remembers the last person across alert groups; "
        "ours starts again with each escalation",
        "notify_team_members": "teams are not imported",
        "notify_user_group": "Slack user groups have no equivalent here",
        "trigger_webhook": "an outgoing webhook by id: its URL and payload are not in the document",
        "resolve": "we never resolve an alert group from a policy",
        "notify_whole_channel": "Slack channels have no equivalent here",
        "notify_if_num_alerts_in_window": "no step here counts alerts",
        "declare_incident": "no step here declares an incident",
    }
    return skip(reasons.get(str(kind), "an unknown step type"))
