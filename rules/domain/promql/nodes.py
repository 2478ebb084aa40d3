"""The evaluation tree: selectors over the minute rollups, functions and aggregations (binary operators are
in ``binary``). Every node is built once by the compiler and evaluated many times, so the nodes hold
everything that can be worked out ahead (label sets, the function to apply) and evaluation is loops."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from rules.domain.promql import arith
from rules.domain.promql.model import COUNTER_KINDS, GAUGE, Labels, Minute, Need, SeriesData, Vector
from telemetry.domain.windows import window_bounds

MINUTE = 60
LOOKBACK = 300  # Prometheus' default lookback for an instant selector


class Ctx:
    """One evaluation: the time and the caller's data."""

    __slots__ = ("at", "data")

    def __init__(self, *, at: int, data: Mapping[Need, Sequence[SeriesData]]) -> None:
        self.at = at
        self.data = data


class VectorNode:
    __slots__ = ()

    def eval(self, ctx: Ctx) -> Vector:
        raise NotImplementedError


class ScalarNode:
    __slots__ = ()

    def eval(self, ctx: Ctx) -> float:
        raise NotImplementedError


def series_labels(series: SeriesData) -> Labels:
    """The evaluator's form of a series' labels: sorted, no ``__name__``, empty values dropped (Prometheus
    treats an empty label as an absent one)."""
    return series.key


def in_window(minutes: Mapping[int, Minute], start: int, end: int) -> list[Minute]:
    """The minutes with a start in ``[start, end)``, oldest first."""
    count = (end - start) // MINUTE
    if len(minutes) < count:
        return [m for s, m in sorted(minutes.items()) if start <= s < end]
    get = minutes.get
    return [m for s in range(start, end, MINUTE) if (m := get(s)) is not None]


def latest_gauge(minutes: Mapping[int, Minute], t: int) -> tuple[float, float] | None:
    """(value, timestamp) of the last gauge sample at or before ``t`` and after ``t - 300``. A minute's
    last sample stands for the minute; a minute whose last sample is after ``t`` (``t`` mid-minute in a
    minute that went on) is passed over, as its earlier values are not stored. A missing ``gauge_ts``
    counts as the minute's start."""
    low = t - LOOKBACK
    start = t - t % MINUTE
    while start + MINUTE > low:
        minute = minutes.get(start)
        if minute is not None and minute.gauge is not None:
            ts = minute.gauge_ts if minute.gauge_ts is not None else float(start)
            if ts <= low:
                return None
            if ts <= t:
                return minute.gauge, ts
        start -= MINUTE
    return None


def recent(minutes: Mapping[int, Minute], t: int) -> bool:
    """Whether any minute overlapping ``(t - 300, t]`` has samples: the presence test for a counter, whose
    sample times are not stored."""
    start = t - t % MINUTE
    low = t - LOOKBACK
    while start + MINUTE > low:
        minute = minutes.get(start)
        if minute is not None and minute.samples > 0:
            return True
        start -= MINUTE
    return False


class InstantSelector(VectorNode):
    """``x{...}``: a gauge's last value within the 5-minute lookback (the sample timestamp instead with
    ``timestamp=True``). Counter and delta series have no raw value stored and yield nothing, unless
    ``presence`` (the argument of ``absent()``), where a counter with samples in the lookback yields NaN."""

    __slots__ = ("need", "presence", "timestamp")

    def __init__(self, need: Need, *, presence: bool = False, timestamp: bool = False) -> None:
        self.need = need
        self.presence = presence
        self.timestamp = timestamp

    def eval(self, ctx: Ctx) -> Vector:
        t = ctx.at - self.need.offset_seconds
        out: Vector = []
        for series in ctx.data.get(self.need, ()):
            if series.kind == GAUGE:
                found = latest_gauge(series.minutes, t)
                if found is not None:
                    out.append((series_labels(series), found[1] if self.timestamp else found[0]))
            elif self.presence and recent(series.minutes, t):
                out.append((series_labels(series), math.nan))
        return out


def _increase(minutes: list[Minute]) -> float:
    return sum(m.increase for m in minutes)


def _gauges(minutes: list[Minute]) -> list[float]:
    return [m.gauge for m in minutes if m.gauge is not None]


def _avg(values: list[float]) -> float:
    return sum(values) / len(values)


def _min(values: list[float]) -> float:
    # Prometheus' min_over_time: NaN only when every value is NaN.
    result = values[0]
    for v in values:
        if v < result or result != result:
            result = v
    return result


def _max(values: list[float]) -> float:
    result = values[0]
    for v in values:
        if v > result or result != result:
            result = v
    return result


# (the window's minutes, the range in seconds) -> the value, or None for "no sample"
RangeFn = Callable[[list[Minute], int], float | None]


def _over_gauges(fn: Callable[[list[float]], float]) -> RangeFn:
    def apply(minutes: list[Minute], _range: int) -> float | None:
        values = _gauges(minutes)
        return fn(values) if values else None

    return apply


# name -> (applies to counter/delta series, applies to gauge series, how)
RANGE_FUNCTIONS: dict[str, tuple[bool, bool, RangeFn]] = {
    "increase": (True, False, lambda ms, _r: _increase(ms)),
    "rate": (True, False, lambda ms, r: _increase(ms) / r),
    "avg_over_time": (False, True, _over_gauges(_avg)),
    "min_over_time": (False, True, _over_gauges(_min)),
    "max_over_time": (False, True, _over_gauges(_max)),
    "sum_over_time": (False, True, _over_gauges(sum)),
    "last_over_time": (False, True, _over_gauges(lambda vs: vs[-1])),
    "count_over_time": (True, True, lambda ms, _r: float(sum(m.samples for m in ms))),
    "present_over_time": (True, True, lambda ms, _r: 1.0),
}


class RangeFunction(VectorNode):
    """``f(x[N])``: the minute buckets of the window (``telemetry.domain.windows.window_bounds``: the
    bucket holding ``at`` and the ``N/60 - 1`` before it), per series with at least one bucket present."""

    __slots__ = ("counters", "fn", "gauges", "need")

    def __init__(self, name: str, need: Need) -> None:
        self.need = need
        self.counters, self.gauges, self.fn = RANGE_FUNCTIONS[name]

    def eval(self, ctx: Ctx) -> Vector:
        need = self.need
        start, end = window_bounds(now=ctx.at - need.offset_seconds, seconds=need.range_seconds)
        out: Vector = []
        for series in ctx.data.get(need, ()):
            if series.kind == GAUGE:
                if not self.gauges:
                    continue
            elif not self.counters or series.kind not in COUNTER_KINDS:
                continue
            minutes = in_window(series.minutes, start, end)
            if minutes:
                value = self.fn(minutes, need.range_seconds)
                if value is not None:
                    out.append((series_labels(series), value))
        return out


class AbsentOverTime(VectorNode):
    """``absent_over_time(x[N])``: one sample (labels from the equality matchers) when no series of the
    selector has a bucket in the window."""

    __slots__ = ("labels", "need")

    def __init__(self, need: Need, labels: Labels) -> None:
        self.need = need
        self.labels = labels

    def eval(self, ctx: Ctx) -> Vector:
        start, end = window_bounds(now=ctx.at - self.need.offset_seconds, seconds=self.need.range_seconds)
        for series in ctx.data.get(self.need, ()):
            if in_window(series.minutes, start, end):
                return []
        return [(self.labels, 1.0)]


class Absent(VectorNode):
    __slots__ = ("arg", "labels")

    def __init__(self, arg: VectorNode, labels: Labels) -> None:
        self.arg = arg
        self.labels = labels

    def eval(self, ctx: Ctx) -> Vector:
        return [] if self.arg.eval(ctx) else [(self.labels, 1.0)]


class Map(VectorNode):
    """A function of each value (abs, ceil, floor, unary minus); labels unchanged."""

    __slots__ = ("arg", "fn")

    def __init__(self, fn: Callable[[float], float], arg: VectorNode) -> None:
        self.fn = fn
        self.arg = arg

    def eval(self, ctx: Ctx) -> Vector:
        fn = self.fn
        return [(labels, fn(v)) for labels, v in self.arg.eval(ctx)]


class MapScalar(VectorNode):
    """A function of each value and one scalar argument (round, clamp_min, clamp_max)."""

    __slots__ = ("arg", "fn", "param")

    def __init__(self, fn: Callable[[float, float], float], arg: VectorNode, param: ScalarNode) -> None:
        self.fn = fn
        self.arg = arg
        self.param = param

    def eval(self, ctx: Ctx) -> Vector:
        fn, p = self.fn, self.param.eval(ctx)
        return [(labels, fn(v, p)) for labels, v in self.arg.eval(ctx)]


class Clamp(VectorNode):
    """``clamp(v, min, max)``: nothing when max < min, as in Prometheus."""

    __slots__ = ("arg", "high", "low")

    def __init__(self, arg: VectorNode, low: ScalarNode, high: ScalarNode) -> None:
        self.arg = arg
        self.low = low
        self.high = high

    def eval(self, ctx: Ctx) -> Vector:
        low, high = self.low.eval(ctx), self.high.eval(ctx)
        if high < low:
            return []
        return [(labels, arith.go_max(low, arith.go_min(high, v))) for labels, v in self.arg.eval(ctx)]


class EvalTime(VectorNode):
    """``timestamp(v)`` of anything but a plain selector: the evaluation time for each sample."""

    __slots__ = ("arg",)

    def __init__(self, arg: VectorNode) -> None:
        self.arg = arg

    def eval(self, ctx: Ctx) -> Vector:
        at = float(ctx.at)
        return [(labels, at) for labels, _v in self.arg.eval(ctx)]


class ToVector(VectorNode):
    """``vector(s)``: one sample without labels."""

    __slots__ = ("arg",)

    def __init__(self, arg: ScalarNode) -> None:
        self.arg = arg

    def eval(self, ctx: Ctx) -> Vector:
        return [((), self.arg.eval(ctx))]


class Number(ScalarNode):
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def eval(self, ctx: Ctx) -> float:
        return self.value


class Time(ScalarNode):
    """``time()``: the evaluation time in seconds."""

    __slots__ = ()

    def eval(self, ctx: Ctx) -> float:
        return float(ctx.at)


class ToScalar(ScalarNode):
    """``scalar(v)``: the value of a one-element vector, else NaN."""

    __slots__ = ("arg",)

    def __init__(self, arg: VectorNode) -> None:
        self.arg = arg

    def eval(self, ctx: Ctx) -> float:
        vector = self.arg.eval(ctx)
        return vector[0][1] if len(vector) == 1 else math.nan


class Negate(ScalarNode):
    __slots__ = ("arg",)

    def __init__(self, arg: ScalarNode) -> None:
        self.arg = arg

    def eval(self, ctx: Ctx) -> float:
        return -self.arg.eval(ctx)


def _grouping(labels: frozenset[str], *, without: bool) -> Callable[[Labels], Labels]:
    if without:
        return lambda ls: tuple(p for p in ls if p[0] not in labels)
    return lambda ls: tuple(p for p in ls if p[0] in labels)


class Aggregate(VectorNode):
    """``sum|avg|min|max|count|group by|without (...) (v)``: one sample per group; the group's labels are
    the ``by`` labels the series has, or its labels minus the ``without`` ones."""

    __slots__ = ("arg", "key", "op")

    def __init__(self, op: str, arg: VectorNode, *, labels: frozenset[str], without: bool) -> None:
        self.op = op
        self.arg = arg
        self.key = _grouping(labels, without=without)

    def eval(self, ctx: Ctx) -> Vector:
        vector = self.arg.eval(ctx)
        if not vector:
            return []
        key, op = self.key, self.op
        if op in ("count", "group"):
            counts: dict[Labels, float] = {}
            for labels, _v in vector:
                k = key(labels)
                counts[k] = counts.get(k, 0.0) + 1.0
            return [(k, 1.0 if op == "group" else n) for k, n in counts.items()]
        if op in ("sum", "avg"):
            sums: dict[Labels, list[float]] = {}
            for labels, v in vector:
                k = key(labels)
                acc = sums.get(k)
                if acc is None:
                    sums[k] = [v, 1.0]
                else:
                    acc[0] += v
                    acc[1] += 1.0
            if op == "sum":
                return [(k, acc[0]) for k, acc in sums.items()]
            return [(k, acc[0] / acc[1]) for k, acc in sums.items()]
        # min / max: NaN only when every value of the group is NaN (Prometheus)
        best: dict[Labels, float] = {}
        lower = op == "min"
        for labels, v in vector:
            k = key(labels)
            cur = best.get(k)
            if cur is None or cur != cur or (v < cur if lower else v > cur):
                best[k] = v
        return list(best.items())
