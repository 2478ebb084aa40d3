"""Escalation arithmetic: which step runs next, time windows, round-robin, which notification chain a
severity uses, and policy cycles. Pure: snapshots are plain dicts, time is an argument."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Severities that use a person's *important* notification rules (Alertmanager and our own SEV names).
IMPORTANT_SEVERITIES = frozenset({"critical", "page", "sev1", "sev2", "p1", "p2", "high", "error"})
MAX_STEPS = 100  # steps of a flattened snapshot (a policy and the policies it continues with)


class PolicyError(ValueError):
    """A policy that cannot run as configured; ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _as_int(value: object) -> int:
    """``int(value)`` for a JSON scalar (number or numeric text); TypeError for anything else, as int() raises."""
    if isinstance(value, int | float | str):
        return int(value)
    raise TypeError(f"not a number: {value!r}")


def is_important(severity: str) -> bool:
    """Whether an alert of this severity pages through people's important rules."""
    return severity.strip().lower() in IMPORTANT_SEVERITIES


@dataclass(frozen=True)
class Window:
    """Local days (0 = Monday) and hours during which a ``time_window`` step lets the escalation go on;
    ``end`` <= ``start`` runs past midnight."""

    weekdays: tuple[int, ...]
    start: time
    end: time
    time_zone: str


def window_parse(raw: object) -> Window:
    """Read ``{"weekdays": [0..6], "start": "HH:MM", "end": "HH:MM", "time_zone": "…"}``; raises PolicyError."""
    if not isinstance(raw, Mapping):
        raise PolicyError("A window is an object with weekdays, start, end and time_zone.", field="window")
    try:
        days = raw.get("weekdays", range(7))
        if not isinstance(days, Iterable):
            raise TypeError("weekdays is not a list")
        weekdays = tuple(sorted({_as_int(d) for d in days}))
        start = time.fromisoformat(str(raw.get("start", "00:00")))
        end = time.fromisoformat(str(raw.get("end", "00:00")))
    except (TypeError, ValueError):
        raise PolicyError("A window needs weekdays 0–6 and start/end as HH:MM.", field="window") from None
    zone = str(raw.get("time_zone") or "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"Unknown time zone {zone!r}.", field="window") from None
    if not weekdays or any(d < 0 or d > 6 for d in weekdays):
        raise PolicyError("A window needs at least one weekday between 0 (Monday) and 6.", field="window")
    return Window(weekdays=weekdays, start=start, end=end, time_zone=zone)


def _window_spans(window: Window, day_start: datetime) -> Iterable[tuple[datetime, datetime]]:
    """The window's spans that start on local days from the day before ``day_start`` on, for 9 days."""
    zone = ZoneInfo(window.time_zone)
    first = day_start.date() - timedelta(days=1)
    for offset in range(9):
        day = first + timedelta(days=offset)
        if day.weekday() not in window.weekdays:
            continue
        begin = datetime.combine(day, window.start, tzinfo=zone)
        end_day = day if window.end > window.start else day + timedelta(days=1)
        finish = datetime.combine(end_day, window.end, tzinfo=zone)
        yield begin, finish


def window_contains(window: Window, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(window.time_zone))
    return any(begin <= local < finish for begin, finish in _window_spans(window, local))


def window_next_start(window: Window, at: datetime) -> datetime:
    """The next instant at or after ``at`` inside the window (``at`` itself when inside)."""
    local = at.astimezone(ZoneInfo(window.time_zone))
    starts = [begin for begin, finish in _window_spans(window, local) if finish > local]
    return max(min(starts), local).astimezone(at.tzinfo)


def round_robin_pick(people: Sequence[int], *, turn: int) -> list[int]:
    """The one person whose turn it is (``turn`` counts the step's earlier runs)."""
    return [people[turn % len(people)]] if people else []


@dataclass(frozen=True)
class Next:
    """What the escalation does after running step ``index``: go to ``step`` (``None``: finished) at ``at``."""

    step: int | None
    at: datetime
    repeats_done: int


def after_step(*, steps: Sequence[Mapping[str, object]], index: int, repeats_done: int, now: datetime) -> Next:
    """Where the escalation goes after running ``steps[index]`` at ``now``. ``wait`` delays the next step;
    ``repeat`` jumps back to the first step while it has repeats left; ``time_window`` outside its window
    holds the escalation at the same step until the window opens (it then runs again and passes)."""
    step = steps[index]
    kind = step["kind"]
    following = index + 1 if index + 1 < len(steps) else None
    if kind == "wait":
        return Next(following, now + timedelta(minutes=_as_int(step.get("wait_minutes", 0))), repeats_done)
    if kind == "repeat":
        if repeats_done < _as_int(step.get("repeat_times", 0)):
            return Next(0, now, repeats_done + 1)
        return Next(following, now, repeats_done)
    if kind == "time_window":
        window = window_parse(step.get("window") or {})
        if not window_contains(window, now):
            return Next(index, window_next_start(window, now), repeats_done)
    return Next(following, now, repeats_done)


def policy_cycle(*, start: int, edges: Mapping[int, Iterable[int]]) -> list[int] | None:
    """A chain of policies that leads from ``start`` back to a policy already on it, or ``None``.
    ``edges`` maps a policy id to the policies its steps continue with."""
    path: list[int] = []

    def visit(node: int) -> list[int] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        path.append(node)
        for nxt in edges.get(node, ()):
            found = visit(nxt)
            if found:
                return found
        path.pop()
        return None

    return visit(start)


def rules_plan(
    *, rules: Sequence[Mapping[str, object]], index: int, now: datetime
) -> tuple[Mapping[str, object] | None, int | None, datetime]:
    """A person's chain: the rule to run at ``index`` (``None`` past the end), the next index and when."""
    if index >= len(rules):
        return None, None, now
    rule = rules[index]
    following = index + 1 if index + 1 < len(rules) else None
    if rule["kind"] == "wait":
        return rule, following, now + timedelta(minutes=_as_int(rule.get("wait_minutes", 0)))
    return rule, following, now


def lateness(*, due: datetime | None, now: datetime) -> float:
    """Seconds a step ran after its due time (0 when on time or early)."""
    if due is None:
        return 0.0
    return max(0.0, (now - due).total_seconds())
