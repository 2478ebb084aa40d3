"""A PromQL evaluator over the per-minute rollups (pure: no Django, no I/O, no clock; time is an argument).

``compile_expr(text)`` parses an alert rule's ``expr`` with ``promql_parser`` and checks it is in the subset
below, returning a ``Plan`` (its selectors as ``Need``s and how far back their data must reach);
``evaluate(plan, at=..., data=...)`` runs it over the rollups the caller fetched for those needs and
returns the resulting instant vector as ``Sample``s (sorted by labels). Anything outside the subset is an
``ExprError`` saying what and why; parse errors carry the parser's message.

Semantics
---------
- **Time and windows.** ``at`` is unix seconds (any second). A range ``[N]`` (whole minutes, at least 1m)
  is the ``N/60`` minute buckets ending with the bucket that holds ``at``, the current partial minute
  included: bucket starts ``m - N + 60 ... m`` with ``m = at - at % 60`` (the product's window convention,
  ``telemetry.domain.windows.window_bounds``). ``offset D`` (whole minutes, not negative) moves ``at`` back
  by ``D`` for that selector.
- **increase(x[N])** is the sum of the buckets' ``increase`` (counter increases, or the pushed deltas) and
  **rate(x[N])** that sum / N, for counter and delta series with at least one bucket in the window. No
  extrapolation to the window's edges (Prometheus extrapolates, so its numbers can differ slightly). Gauge
  series are skipped (Prometheus warns and computes nonsense).
- **avg/min/max/sum/last_over_time(x[N])** work on gauge series and see ONE value per minute: the last
  sample of each minute in the window (so ``avg_over_time`` is the mean of per-minute last values, not of
  every sample). Counter and delta series have no raw values stored and are skipped.
  **count_over_time** is the sum of the buckets' ``samples`` and **present_over_time** is 1, for any kind
  with at least one bucket in the window; **absent_over_time** is 1 (labels as for ``absent()``) when no
  series has a bucket in the window.
- **Instant selector** ``x{...}``: a gauge series' last value whose timestamp is in ``(at - 300, at]``
  (Prometheus' 5-minute lookback; a minute whose last sample is after ``at`` is passed over). Counter and
  delta series have no raw value stored and yield nothing: use ``rate()``/``increase()``. A bare selector
  whose name ends in ``_total``, ``_count``, ``_sum`` or ``_bucket`` is refused at compile time ("raw
  counter values are not stored; use rate() or increase()"), except as the argument of ``absent()``.
- **absent(v)** is ``{labels} 1`` when ``v`` is empty, else nothing; the labels are those of the plain
  selector argument's equality matchers (a label matched twice or by another operator is left out), none
  for any other argument. ``absent(x)`` counts a counter/delta series as present when it has samples in a
  minute overlapping ``(at - 300, at]``, so ``absent(requests_total{job="api"})`` works.
- **Functions of instant vectors:** ``abs``, ``ceil``, ``floor``, ``round(v[, to_nearest])`` (half-way
  rounds up, as Prometheus), ``clamp_min``, ``clamp_max``, ``clamp`` (nothing when max < min),
  ``timestamp(v)`` (a gauge's sample time for a plain selector, else ``at``), ``vector(s)``, ``scalar(v)``
  (NaN unless exactly one sample) and ``time()`` (``at``).
- **Aggregations** ``sum``, ``avg``, ``min``, ``max``, ``count``, ``group`` with ``by (...)`` or
  ``without (...)`` before or after the argument: one sample per group labelled with the ``by`` labels the
  series has, or its labels minus the ``without`` ones. ``min``/``max`` ignore NaN unless all are NaN.
- **Binary operators** ``+ - * / % ^ atan2`` and ``== != > < >= <=`` (with or without ``bool``) between
  scalars and vectors, and ``and``, ``or``, ``unless`` between vectors, with ``on(...)``/``ignoring(...)``.
  Vector/scalar: arithmetic on every value; a comparison keeps the samples for which it holds, with the
  vector's value (1/0 for every sample with ``bool``). Vector/vector one-to-one: samples match on their
  labels (or the ``on`` labels, or all but the ``ignoring`` ones); the result carries the left sample's
  labels as Prometheus does (only the ``on`` labels with ``on``, without the ``ignoring`` ones with
  ``ignoring``) and, for a comparison without ``bool``, the left value. ``group_left(l...)`` /
  ``group_right(l...)`` (many-to-one / one-to-many) keep the "many" side's labels plus ``l...`` from the
  "one" side. Two samples with the same signature on the "one" side raise ``ExprError("many-to-many
  matching not allowed: found duplicate series ...")``; two left samples matching one right sample without
  ``group_left`` raise "multiple matches for labels ...". Division by zero is ±Inf or NaN, ``x % 0`` NaN,
  as in Prometheus (IEEE floats). ``__name__`` is never carried: results have no metric name.
- **Numbers** ``1``, ``1e3``, ``0x1f``, ``Inf``, ``NaN``; durations as numbers (``5m`` is 300).
- **The whole expression** must be an instant vector: a scalar, a range vector or a string is refused.

Refused, with the reason: ``irate``, ``idelta``, ``delta``, ``deriv``, ``predict_linear``, ``resets``,
``changes``, ``quantile_over_time``, ``stddev_over_time``, ``stdvar_over_time`` and the like (they need the
raw samples), ``histogram_quantile``, ``label_replace``/``label_join``, every other function; aggregations
``topk``, ``bottomk``, ``quantile``, ``stddev``, ``stdvar``, ``count_values``, ``limitk``; subqueries
``x[5m:1m]``; the ``@`` modifier; negative offsets and ranges/offsets that are not whole minutes; string
literals; ``or`` inside a selector; a selector without a metric name or matching ``__name__`` other than
with ``=``; ``fill`` modifiers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter

from rules.domain.promql.compiler import compile_expr
from rules.domain.promql.model import ExprError, Minute, Need, Plan, Sample, SeriesData
from rules.domain.promql.nodes import Ctx

__all__ = ["ExprError", "Minute", "Need", "Plan", "Sample", "SeriesData", "compile_expr", "evaluate"]

_by_labels = itemgetter(0)


def evaluate(plan: Plan, *, at: int, data: Mapping[Need, Sequence[SeriesData]]) -> list[Sample]:
    """The result of ``plan`` at ``at``, sorted by labels. ``data[need]`` is every series of ``need.name``
    matching ``need.matchers`` (a missing need counts as no series), with minutes whose starts cover
    ``[at - plan.lookback_seconds, at]``. Raises ExprError for many-to-many matching."""
    try:
        vector = plan.root.eval(Ctx(at=at, data=data))
    except RecursionError:
        raise ExprError("the expression is nested too deeply") from None
    return [Sample(labels, value) for labels, value in sorted(vector, key=_by_labels)]
