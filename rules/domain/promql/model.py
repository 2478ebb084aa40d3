"""The evaluator's values: what a compiled expression needs, the rollups it reads and the samples it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rules.domain.promql.nodes import VectorNode

# A series' labels inside the evaluator: sorted (name, value) pairs, no ``__name__``, no empty values.
Labels = tuple[tuple[str, str], ...]
# An instant vector inside the evaluator: (labels, value) pairs (cheaper than Sample objects).
Vector = list[tuple[Labels, float]]

COUNTER_KINDS = frozenset({"counter", "delta"})
GAUGE = "gauge"
MATCH_OPS = ("=", "!=", "=~", "!~")


class ExprError(ValueError):
    """An expression that does not parse, is outside the supported subset, or fails while evaluating
    (many-to-many matching). The message says what and why."""


@dataclass(frozen=True, slots=True)
class Need:
    """One selector the expression reads: the caller fetches every series of ``name`` that matches
    ``matchers`` (``(label, op, value)`` with op one of ``=``, ``!=``, ``=~``, ``!~``; regexes are
    anchored as in Prometheus; ``__name__`` is never among them) with minutes covering the plan's
    lookback. ``range_seconds`` is 0 for an instant selector; it and ``offset_seconds`` are whole minutes."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]
    range_seconds: int
    offset_seconds: int = 0

    def sort_key(self) -> tuple[str, tuple[tuple[str, str, str], ...], int, int]:
        return (self.name, self.matchers, self.range_seconds, self.offset_seconds)


@dataclass(frozen=True, slots=True)
class Minute:
    """One series' rollup for one minute: the counter increase (or summed deltas; 0.0 for a gauge), the last
    gauge value and its timestamp (None for counters) and how many samples were pushed."""

    increase: float
    gauge: float | None
    gauge_ts: float | None
    samples: int


@dataclass(frozen=True)
class SeriesData:
    """One series of a need: its labels (without ``__name__``), its kind ("counter", "delta" or "gauge")
    and its minutes by start (unix seconds, a multiple of 60)."""

    labels: Mapping[str, str]
    kind: str
    minutes: Mapping[int, Minute]
    # the evaluator's form of ``labels`` (sorted, no __name__, no empty values), computed once per series
    key: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = tuple(sorted((k, v) for k, v in self.labels.items() if v and k != "__name__"))
        object.__setattr__(self, "key", key)


@dataclass(frozen=True, slots=True)
class Sample:
    """One element of the result: sorted labels (no ``__name__``) and the value."""

    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Plan:
    """A compiled expression: the text, the distinct selectors it reads (sorted by name, matchers, range,
    offset) and how far before ``at`` their data must reach: minutes with a start at or after
    ``at - lookback_seconds`` are enough (a range's length plus its offset; 360 plus the offset for an
    instant selector: the 5-minute lookback and the minute that holds ``at - 300``; 0 without selectors).
    ``root`` is the evaluation tree."""

    text: str
    needs: tuple[Need, ...]
    lookback_seconds: int
    root: VectorNode = field(compare=False, repr=False)
