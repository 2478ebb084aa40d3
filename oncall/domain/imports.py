"""Importing on-call configuration from elsewhere: the plan both formats are read into, and the helpers
they share. Pure: no Django, no I/O, the clock is an argument.

A plan is what would be created here, in OUR model's terms: schedules with layers (rotation unit and
``every``, first handoff as a naive local datetime in the schedule's zone, participants as the SOURCE's
user ids, weekly restriction windows), overrides, and policies with steps of our step kinds. Whatever
cannot be expressed exactly is not approximated: it is left out of the plan and listed as ``Unmapped``
with the reason. ``oncall.domain.imports_grafana`` and ``oncall.domain.imports_pagerduty`` read the two
formats; ``oncall.services.imports`` matches people by email and creates the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from oncall.domain.localtime import to_local, zone
from oncall.domain.rotation import validate_layer
from oncall.domain.shifts import Layer, Restriction, ScheduleError

MAX_ITEMS = 5000  # per kind of item in one document
DAY = 86_400
WEEK = 7 * DAY
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Our step kinds (``oncall.choices.StepKind`` values; the domain does not import Django).
NOTIFY_PERSONS = "notify_persons"
NOTIFY_SCHEDULE = "notify_schedule"
WAIT = "wait"
TIME_WINDOW = "time_window"
REPEAT = "repeat"


class ImportFormatError(ValueError):
    """The document is not of the expected shape; ``field`` is the path of the value at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Unmapped:
    """Something of the source that is not imported (or not entirely), and why."""

    item: str
    reason: str


@dataclass(frozen=True)
class Person:
    """A user of the source, matched to ours by email."""

    source_id: str
    email: str
    name: str


@dataclass(frozen=True)
class LayerPlan:
    """A layer as our model stores it; ``start``/``end`` are naive local times in the schedule's zone
    (``end`` has ``start``'s time of day: our layers end at ``end_date`` + ``handoff_time``)."""

    item: str
    name: str
    level: int
    rotation: str
    every: int
    start: datetime
    participants: tuple[str, ...]
    restrictions: tuple[Restriction, ...] = ()
    end: datetime | None = None


@dataclass(frozen=True)
class OverridePlan:
    item: str
    person: str
    start: datetime  # aware UTC
    end: datetime


@dataclass(frozen=True)
class SchedulePlan:
    source_id: str
    name: str
    time_zone: str
    layers: tuple[LayerPlan, ...] = ()
    overrides: tuple[OverridePlan, ...] = ()
    ical_url: str = ""


@dataclass(frozen=True)
class StepPlan:
    """A step in our kinds. ``persons`` are source user ids, ``schedule`` a source schedule id, ``window``
    is ``(weekdays, start, end, time_zone)`` for a time window step."""

    item: str
    kind: str
    persons: tuple[str, ...] = ()
    schedule: str | None = None
    important: bool = False
    wait_minutes: int = 0
    window: tuple[tuple[int, ...], time, time, str] | None = None
    repeat_times: int = 0


@dataclass(frozen=True)
class PolicyPlan:
    source_id: str
    name: str
    steps: tuple[StepPlan, ...]


@dataclass(frozen=True)
class ImportPlan:
    source: str
    people: tuple[Person, ...]
    schedules: tuple[SchedulePlan, ...]
    policies: tuple[PolicyPlan, ...]
    unmapped: tuple[Unmapped, ...] = field(default=())


# --- reading the document -------------------------------------------------------------------------


def document_check(document: Any, *, kinds: Iterable[str]) -> dict[str, Any]:
    """The document as a dict with only known top-level keys (ImportFormatError otherwise)."""
    if not isinstance(document, dict):
        raise ImportFormatError("The document must be a JSON object.", field="document")
    known = set(kinds)
    unknown = sorted(set(document) - known)
    if unknown:
        raise ImportFormatError(
            f"Unknown field {unknown[0]!r}; expected some of {', '.join(sorted(known))}.",
            field=f"document.{unknown[0]}",
        )
    return document


def items_of(document: Mapping[str, Any], kind: str, unmapped: list[Unmapped]) -> list[dict[str, Any]]:
    """The items of ``kind``: a bare list, a Grafana page (``{"count", "next", "previous", "results"}``)
    or a PagerDuty page (``{kind: [...], "more"}``). A page that says more follow is listed as unmapped."""
    value = document.get(kind)
    where = f"document.{kind}"
    if value is None:
        return []
    if isinstance(value, dict):
        if isinstance(value.get("results"), list):
            if value.get("next"):
                unmapped.append(Unmapped(kind, f"only the first page was given (next: {value['next']})"))
            value = value["results"]
        elif isinstance(value.get(kind), list):
            if value.get("more"):
                unmapped.append(Unmapped(kind, "only the first page was given (more: true)"))
            value = value[kind]
        else:
            raise ImportFormatError("Expected a list or a paginated response with its items.", field=where)
    if not isinstance(value, list):
        raise ImportFormatError("Expected a list of objects.", field=where)
    if len(value) > MAX_ITEMS:
        raise ImportFormatError(f"At most {MAX_ITEMS} {kind} per import (got {len(value)}).", field=where)
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ImportFormatError("Each item must be an object.", field=f"{where}[{index}]")
    return value


def people_of(document: Mapping[str, Any], unmapped: list[Unmapped], *, name_key: str) -> tuple[Person, ...]:
    """The document's users as ``Person`` (id, email, and the display name under ``name_key``)."""
    return tuple(
        Person(
            source_id=text(u, "id", where=f"users[{i}]"),
            email=text(u, "email", where=f"users[{i}]", required=False),
            name=text(u, name_key, where=f"users[{i}]", required=False),
        )
        for i, u in enumerate(items_of(document, "users", unmapped))
    )


def text(item: Mapping[str, Any], key: str, *, where: str, required: bool = True) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise ImportFormatError(f"{key} is required.", field=f"{where}.{key}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ImportFormatError(f"{key} must be a string.", field=f"{where}.{key}")
    return str(value)


def integer(item: Mapping[str, Any], key: str, *, where: str, default: int | None = None) -> int:
    value = item.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ImportFormatError(f"{key} must be a whole number.", field=f"{where}.{key}")
    return value


def id_list(value: Any, *, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, str | int) for v in value):
        raise ImportFormatError("Expected a list of ids.", field=where)
    return tuple(str(v) for v in value)


def aware(value: Any, *, where: str) -> datetime:
    """An ISO 8601 instant with an offset ("Z" accepted), as UTC."""
    parsed = _datetime(value, where=where)
    if parsed.tzinfo is None:
        raise ImportFormatError("Expected a date-time with a UTC offset.", field=where)
    return parsed.astimezone(UTC)


def naive_or_local(value: Any, *, where: str, time_zone: str) -> datetime:
    """A date-time as a naive wall-clock time in ``time_zone`` (an offset, if given, is converted)."""
    parsed = _datetime(value, where=where)
    if parsed.tzinfo is not None:
        return to_local(parsed, zone(time_zone))
    return parsed


def _datetime(value: Any, *, where: str) -> datetime:
    if not isinstance(value, str):
        raise ImportFormatError("Expected an ISO 8601 date-time string.", field=where)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ImportFormatError(f"Not an ISO 8601 date-time: {value!r}.", field=where) from None


def time_of_day(value: Any, *, where: str) -> int:
    """Seconds after midnight of "HH:MM[:SS]"."""
    try:
        parsed = time.fromisoformat(str(value).rstrip("Z"))
    except ValueError:
        raise ImportFormatError(f"Not a time of day: {value!r}.", field=where) from None
    return parsed.hour * 3600 + parsed.minute * 60 + parsed.second


def zone_name(value: str, *, where: str) -> str:
    try:
        zone(value)
    except ScheduleError:
        raise ImportFormatError(f"Unknown time zone {value!r} (an IANA name is expected).", field=where) from None
    return value


# --- weekly windows -------------------------------------------------------------------------------


def clock(seconds: int) -> time:
    """The time of day ``seconds`` after midnight (modulo a day)."""
    seconds %= DAY
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def week_windows(pieces: Iterable[tuple[int, int]]) -> tuple[Restriction, ...] | None:
    """Our restriction windows for the union of ``(start, duration)`` pieces, ``start`` in seconds after
    Monday 00:00 local (wrapping around the week). ``None`` when the union is the whole week (no
    restriction at all); ``()`` when it is empty. Windows are cut at midnight (a whole day in two halves,
    as a window lasts less than a day), then days with the same hours share one restriction."""
    spans: list[tuple[int, int]] = []
    for start, duration in pieces:
        if duration <= 0:
            continue
        if duration >= WEEK:
            return None
        begin = start % WEEK
        finish = begin + duration
        if finish <= WEEK:
            spans.append((begin, finish))
        else:
            spans.extend([(begin, WEEK), (0, finish - WEEK)])
    merged: list[list[int]] = []
    for begin, finish in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([begin, finish])
    if merged == [[0, WEEK]]:
        return None
    by_hours: dict[tuple[int, int], set[int]] = {}
    for begin, finish in merged:
        cursor = begin
        while cursor < finish:
            day = cursor // DAY
            stop = min(finish, (day + 1) * DAY)
            a, b = cursor - day * DAY, stop - day * DAY
            halves = [(0, DAY // 2), (DAY // 2, DAY)] if (a, b) == (0, DAY) else [(a, b)]
            for hours in halves:
                by_hours.setdefault(hours, set()).add(day)
            cursor = stop
    windows = [
        Restriction(weekdays=tuple(sorted(days)), start=clock(a), end=clock(b)) for (a, b), days in by_hours.items()
    ]
    return tuple(sorted(windows, key=lambda w: (w.weekdays[0], w.start)))


def restrictions_json(restrictions: Iterable[Restriction]) -> list[dict[str, Any]]:
    """Restrictions as a layer stores them (``[{"weekdays", "start", "end"}]``)."""
    out = []
    for r in restrictions:
        fmt = "%H:%M" if not (r.start.second or r.end.second) else "%H:%M:%S"
        out.append({"weekdays": list(r.weekdays), "start": r.start.strftime(fmt), "end": r.end.strftime(fmt)})
    return out


def layer_problem(plan: LayerPlan, *, time_zone: str) -> str | None:
    """Why our schedule domain would refuse ``plan`` (None when it accepts it)."""
    try:
        validate_layer(
            layer=Layer(
                key="import",
                level=plan.level,
                participants=plan.participants,
                rotation=plan.rotation,
                every=plan.every,
                start=plan.start,
                end=plan.end,
                restrictions=plan.restrictions,
            ),
            time_zone=time_zone,
        )
    except ScheduleError as exc:
        return f"{exc.field}: {exc.message}"
    return None
