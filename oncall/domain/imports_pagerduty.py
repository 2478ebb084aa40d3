"""PagerDuty REST API JSON → an import plan (``oncall.domain.imports``).

Input: ``{"users": [...], "schedules": [...], "escalation_policies": [...]}`` as GET /users,
GET /schedules/{id} and GET /escalation_policies return them (field names from PagerDuty's OpenAPI
reference, ``reference/REST/openapiv3.json``: Schedule, ScheduleLayer, Restriction, Override,
EscalationPolicy, EscalationRule).

How it maps:
- ``schedule_layers`` come highest layer first (Layer 3, 2, 1); a lower layer in the list wins in
  PagerDuty, so the list's first layer gets the highest level here.
- A layer's turn (``rotation_turn_length_seconds``) is whole weeks, days or hours; its first handoff is
  ``rotation_virtual_start`` in the schedule's zone; weeks and days hand off at the same local time
  across clock changes, hours count absolute time (as ``oncall.domain.rotation`` does). A layer whose
  ``start`` is a later handoff starts there with the rotation advanced accordingly.
- Restrictions (daily: every day; weekly: from ``start_day_of_week``, ISO 1 = Monday) become our weekly
  windows; they cut the turns, as in PagerDuty.
- Escalation rule ``i`` → notify its users (one step) and each schedule (one step each), then wait
  ``escalation_delay_in_minutes``; ``num_loops`` → a final repeat step (the last wait is kept only then).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oncall.domain.imports import (
    DAY,
    NOTIFY_PERSONS,
    NOTIFY_SCHEDULE,
    REPEAT,
    WAIT,
    ImportFormatError,
    ImportPlan,
    LayerPlan,
    OverridePlan,
    PolicyPlan,
    SchedulePlan,
    StepPlan,
    Unmapped,
    aware,
    document_check,
    integer,
    items_of,
    layer_problem,
    people_of,
    text,
    time_of_day,
    week_windows,
    zone_name,
)
from oncall.domain.localtime import to_local, zone
from oncall.domain.rotation import compile_layer
from oncall.domain.shifts import Layer, Restriction, ScheduleError

KINDS = ("users", "schedules", "escalation_policies")
WEEK_SECONDS = 7 * DAY
MAX_REPEAT = 10  # our repeat step's bound


def pagerduty_plan(*, document: Any, now: datetime) -> ImportPlan:
    """The plan for a PagerDuty document; ImportFormatError for a document of the wrong shape."""
    document = document_check(document, kinds=KINDS)
    unmapped: list[Unmapped] = []
    people = people_of(document, unmapped, name_key="name")
    schedules = []
    for index, raw in enumerate(items_of(document, "schedules", unmapped)):
        raw = raw["schedule"] if set(raw) == {"schedule"} and isinstance(raw["schedule"], dict) else raw
        schedules.append(_schedule(raw, where=f"schedules[{index}]", now=now, unmapped=unmapped))
    policies = tuple(
        _policy(raw, where=f"escalation_policies[{index}]", unmapped=unmapped)
        for index, raw in enumerate(items_of(document, "escalation_policies", unmapped))
    )
    return ImportPlan("pagerduty", people, tuple(schedules), policies, tuple(unmapped))


def _user_id(ref: Any, *, where: str) -> str:
    """The id of ``{"user": {"id", "type": "user_reference"}}`` (a layer's users) or of a reference."""
    if isinstance(ref, dict) and isinstance(ref.get("user"), dict):
        ref = ref["user"]
    if not isinstance(ref, dict):
        raise ImportFormatError("Expected a user reference.", field=where)
    return text(ref, "id", where=where)


def _schedule(raw: dict[str, Any], *, where: str, now: datetime, unmapped: list[Unmapped]) -> SchedulePlan:
    sid = text(raw, "id", where=where)
    name = text(raw, "name", where=where, required=False) or sid
    tz = zone_name(text(raw, "time_zone", where=where), where=f"{where}.time_zone")
    label = f'schedule "{name}"'
    layers_raw = raw.get("schedule_layers") or []
    if not isinstance(layers_raw, list):
        raise ImportFormatError("Expected a list of layers.", field=f"{where}.schedule_layers")
    layers = []
    for index, layer in enumerate(layers_raw):
        if not isinstance(layer, dict):
            raise ImportFormatError("Each layer must be an object.", field=f"{where}.schedule_layers[{index}]")
        level = len(layers_raw) - index  # the API lists the highest layer first
        plan = _layer(
            layer, level=level, tz=tz, label=label, where=f"{where}.schedule_layers[{index}]", now=now, out=unmapped
        )
        if plan is not None:
            layers.append(plan)
    overrides = []
    for index, item in enumerate(raw.get("overrides") or []):
        at = f"{where}.overrides[{index}]"
        if not isinstance(item, dict):
            raise ImportFormatError("Each override must be an object.", field=at)
        start, end = aware(item.get("start"), where=f"{at}.start"), aware(item.get("end"), where=f"{at}.end")
        person = _user_id(item.get("user"), where=f"{at}.user")
        overrides.append(OverridePlan(f"{label} override {start:%Y-%m-%d %H:%M}Z", person, start, end))
    return SchedulePlan(sid, name, tz, tuple(layers), tuple(overrides))


def _turn_unit(seconds: int) -> tuple[str, int] | None:
    for unit, size in (("weeks", WEEK_SECONDS), ("days", DAY), ("hours", 3600)):
        if seconds % size == 0:
            return unit, seconds // size
    return None


def _layer(
    raw: dict[str, Any], *, level: int, tz: str, label: str, where: str, now: datetime, out: list[Unmapped]
) -> LayerPlan | None:
    name = text(raw, "name", where=where, required=False) or f"Layer {level}"
    item = f'{label} layer "{name}"'
    end = aware(raw["end"], where=f"{where}.end") if raw.get("end") else None
    if end is not None and end <= now:
        out.append(Unmapped(item, f"ended at {end:%Y-%m-%d %H:%M}Z, before the import"))
        return None
    users = tuple(_user_id(u, where=f"{where}.users[{i}]") for i, u in enumerate(raw.get("users") or []))
    if not users:
        out.append(Unmapped(item, "nobody is in the rotation"))
        return None
    turn = integer(raw, "rotation_turn_length_seconds", where=where)
    unit = _turn_unit(turn) if turn > 0 else None
    if unit is None:
        out.append(Unmapped(item, f"a turn of {turn} s is not a whole number of hours"))
        return None
    rotation, every = unit
    virtual = aware(raw.get("rotation_virtual_start"), where=f"{where}.rotation_virtual_start")
    start = aware(raw.get("start"), where=f"{where}.start")
    tzinfo = zone(tz)
    virtual_local = to_local(virtual, tzinfo)
    anchor, local = 0, virtual_local
    note = None
    if start < virtual:
        out.append(Unmapped(item, "starts before its rotation_virtual_start"))
        return None
    if start > virtual:
        try:
            compiled = compile_layer(
                Layer(key="pd", level=0, participants=users, rotation=rotation, every=every, start=virtual_local), tz
            )
        except ScheduleError as exc:
            out.append(Unmapped(item, f"{exc.field}: {exc.message}"))
            return None
        anchor = compiled.index_at(start) or 0
        handoff = compiled.handoff(anchor)
        if handoff != start and start > now:
            out.append(Unmapped(item, f"starts mid-turn at {start:%Y-%m-%d %H:%M}Z (in the future)"))
            return None
        if handoff != start:
            note = (
                f"starts mid-turn at {start:%Y-%m-%d %H:%M}Z (already past); imported from that turn's handoff "
                f"at {handoff:%Y-%m-%d %H:%M}Z, so only the past before the start differs"
            )
        step = timedelta(weeks=every) if rotation == "weeks" else timedelta(days=every)
        local = virtual_local + anchor * step if rotation != "hours" else to_local(handoff, tzinfo)
    participants = users[anchor % len(users) :] + users[: anchor % len(users)]
    end_local = None
    if end is not None:
        end_local = to_local(end, tzinfo)
        if end_local.time() != local.time():
            reason = f"ends at {end_local:%H:%M} local, not at its handoff time {local:%H:%M}"
            out.append(Unmapped(item, f"{reason}; our layers end at their handoff time"))
            return None
    windows = _restrictions(raw.get("restrictions") or [], where=f"{where}.restrictions")
    if windows == ():
        out.append(Unmapped(item, "its restrictions leave no time on call"))
        return None
    plan = LayerPlan(item, name, level, rotation, every, local, participants, windows or (), end_local)
    problem = layer_problem(plan, time_zone=tz)
    if problem:
        out.append(Unmapped(item, problem))
        return None
    if note:
        out.append(Unmapped(item, note))
    return plan


def _restrictions(raw: Any, *, where: str) -> tuple[Restriction, ...] | None:
    if not isinstance(raw, list):
        raise ImportFormatError("Expected a list of restrictions.", field=where)
    if not raw:
        return None
    pieces: list[tuple[int, int]] = []
    for index, r in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(r, dict):
            raise ImportFormatError("Each restriction must be an object.", field=at)
        kind = r.get("type")
        clock = time_of_day(r.get("start_time_of_day"), where=f"{at}.start_time_of_day")
        duration = integer(r, "duration_seconds", where=at)
        if kind == "daily_restriction":
            pieces.extend((day * DAY + clock, duration) for day in range(7))
        elif kind == "weekly_restriction":
            day = integer(r, "start_day_of_week", where=at)
            if not 1 <= day <= 7:
                raise ImportFormatError("start_day_of_week is 1 (Monday) to 7.", field=f"{at}.start_day_of_week")
            pieces.append(((day - 1) * DAY + clock, duration))
        else:
            raise ImportFormatError("type is daily_restriction or weekly_restriction.", field=f"{at}.type")
    return week_windows(pieces)


def _policy(raw: dict[str, Any], *, where: str, unmapped: list[Unmapped]) -> PolicyPlan:
    pid = text(raw, "id", where=where)
    name = text(raw, "name", where=where, required=False) or pid
    label = f'escalation policy "{name}"'
    if raw.get("teams"):
        unmapped.append(Unmapped(f"{label} teams", "teams are not imported; the policy has no team"))
    rules = raw.get("escalation_rules") or []
    if not isinstance(rules, list):
        raise ImportFormatError("Expected a list of rules.", field=f"{where}.escalation_rules")
    loops = integer(raw, "num_loops", where=where, default=0)
    steps: list[StepPlan] = []
    for index, rule in enumerate(rules):
        at = f"{where}.escalation_rules[{index}]"
        if not isinstance(rule, dict):
            raise ImportFormatError("Each rule must be an object.", field=at)
        item = f"{label} rule {index + 1}"
        strategy = rule.get("escalation_rule_assignment_strategy")
        if isinstance(strategy, list | dict):
            first = strategy[0] if isinstance(strategy, list) and strategy else strategy
            strategy = first.get("type") if isinstance(first, dict) else None
        persons: list[str] = []
        schedules: list[str] = []
        for t_index, target in enumerate(rule.get("targets") or []):
            if not isinstance(target, dict):
                raise ImportFormatError("Each target must be an object.", field=f"{at}.targets[{t_index}]")
            kind = target.get("type")
            tid = text(target, "id", where=f"{at}.targets[{t_index}]")
            if kind in ("user", "user_reference"):
                if tid not in persons:
                    persons.append(tid)
            elif kind in ("schedule", "schedule_reference"):
                schedules.append(tid)
            else:
                unmapped.append(Unmapped(f"{item} target {tid}", f"targets of type {kind!r} are not imported"))
        if strategy == "round_robin":
            unmapped.append(
                Unmapped(item, "round-robin assignment across incidents has no equivalent; its targets are not paged")
            )
        else:
            if persons:
                steps.append(StepPlan(item, NOTIFY_PERSONS, persons=tuple(persons)))
            steps.extend(StepPlan(item, NOTIFY_SCHEDULE, schedule=s) for s in schedules)
        delay = integer(rule, "escalation_delay_in_minutes", where=at)
        last = index == len(rules) - 1
        if last and loops == 0:
            continue  # nothing follows the last rule: its delay changes nothing
        if 1 <= delay <= 1440:
            steps.append(StepPlan(f"{item} delay", WAIT, wait_minutes=delay))
        else:
            unmapped.append(Unmapped(f"{item} delay", f"a wait of {delay} min is outside 1–1440 min"))
    if loops:
        if loops <= MAX_REPEAT:
            steps.append(StepPlan(f"{label} num_loops", REPEAT, repeat_times=loops))
        else:
            unmapped.append(Unmapped(f"{label} num_loops", f"{loops} loops; at most {MAX_REPEAT} here"))
    return PolicyPlan(pid, name, tuple(steps))
