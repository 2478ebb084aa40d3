"""A rule's history as a chart: the charted value per label set, the threshold, and when the rule would have
fired (the same state machine as live evaluation, run over the evaluation times)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from alerts.domain.matchers import fingerprint
from rules.domain import state as machine

MAX_POINTS = 1440
MAX_SERIES = 20


@dataclass(frozen=True)
class ChartSeries:
    labels: dict[str, str]
    points: list[tuple[int, float]]


@dataclass(frozen=True)
class Interval:
    labels: dict[str, str]
    start: int
    end: int | None  # None: still firing at the end of the range


@dataclass
class Backtest:
    start: int
    end: int
    step: int
    threshold: float | None = None
    comparison: str | None = None
    series: list[ChartSeries] = field(default_factory=list)
    series_total: int = 0
    firing: list[Interval] = field(default_factory=list)
    evaluations: int = 0
    error: str = ""
    note: str = ""


def steps(*, start: int, end: int, step: int | None) -> tuple[int, list[int]]:
    """Evaluation times from ``start`` to ``end`` inclusive: ``step`` (default: whole minutes giving at most
    ``MAX_POINTS``), rounded up to a multiple of 60."""
    span = max(60, end - start)
    step = max(60, int(step or 0), -(-span // MAX_POINTS))
    step = -(-step // 60) * 60
    first = start - start % 60 + 60 if start % 60 else start
    return step, list(range(first, end + 1, step))


def chart_series(values: Mapping[str, tuple[dict[str, str], list[tuple[int, float]]]]) -> tuple[list[ChartSeries], int]:
    """At most ``MAX_SERIES`` label sets, the highest peaks first (ties by labels)."""
    ranked = sorted(
        values.values(), key=lambda item: (-max((v for _, v in item[1]), default=0.0), sorted(item[0].items()))
    )
    return [ChartSeries(labels=labels, points=points) for labels, points in ranked[:MAX_SERIES]], len(values)


def collect(
    per_time: Iterable[tuple[int, Sequence[tuple[dict[str, str], float]]]],
) -> dict[str, tuple[dict[str, str], list[tuple[int, float]]]]:
    out: dict[str, tuple[dict[str, str], list[tuple[int, float]]]] = {}
    for at, samples in per_time:
        for labels, value in samples:
            fp = fingerprint(labels)
            out.setdefault(fp, (labels, []))[1].append((at, value))
    return out


def firing_intervals(
    *,
    holding: Iterable[tuple[int, Sequence[tuple[dict[str, str], float]]]],
    for_seconds: int,
    keep_firing_for_seconds: int,
    end: int,
) -> list[Interval]:
    """Run the state machine over ``(time, label sets that hold)`` and return when each label set fired."""
    active: dict[str, machine.Active] = {}
    opened: dict[str, int] = {}
    out: list[Interval] = []
    for at, samples in holding:
        results = {fingerprint(labels): (labels, value) for labels, value in samples}
        result = machine.step(
            active=active, results=results, now=at, for_seconds=for_seconds,
            keep_firing_for_seconds=keep_firing_for_seconds,
        )  # fmt: skip
        for change in result.changes:
            if change.kind == "fire":
                opened[change.fingerprint] = at
            else:
                out.append(Interval(dict(change.active.labels), opened.pop(change.fingerprint), at))
        active = result.active
    for fp, since in opened.items():
        out.append(Interval(dict(active[fp].labels), since, None))
    return sorted(out, key=lambda i: (i.start, sorted(i.labels.items())))
