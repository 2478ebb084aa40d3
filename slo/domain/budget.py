"""SLI, error budget, burn rates, time to exhaustion and multi-window multi-burn-rate evaluation.

Everything is exact: counts are ints or ``Fraction``s, the target is a ``Fraction`` (``exact("0.999")``),
so a threshold like 14.4 × 0.001 is exactly 0.0144. A window without traffic (``total == 0`` or no
counts at all) is "no data": its SLI, burn rate and alert conditions are ``None``/not firing, never
100 % and never 0 %.

    burn rate       = (bad / total) / (1 − target)
    budget allowed  = (1 − target) × total
    budget consumed = bad / allowed         (1 = the whole budget is spent)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeGuard

from slo.domain.exact import Number
from sre.domain.timewords import duration_words


@dataclass(frozen=True)
class Counts:
    """Bad and total events (or bad and total time slices) over one window."""

    bad: Number
    total: Number

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.bad + other.bad, self.total + other.total)

    def __sub__(self, other: Counts) -> Counts:
        return Counts(max(0, self.bad - other.bad), max(0, self.total - other.total))

    @property
    def good(self) -> Number:
        return self.total - self.bad


def counts_from_good(*, good: Number, total: Number) -> Counts:
    """Counts from a good/total pair; good above total (skewed scrapes) counts as no bad events."""
    return Counts(bad=max(0, total - good), total=total)


def has_data(counts: Counts | None) -> TypeGuard[Counts]:
    return counts is not None and counts.total > 0


def _ratio(a: Number, b: Number) -> Fraction:
    if isinstance(a, int) and isinstance(b, int):
        return Fraction(a, b)  # one construction (the evaluator calls this tens of thousands of times)
    return Fraction(a) / Fraction(b)


def sli(counts: Counts | None) -> Fraction | None:
    """Good / total, or None for no data."""
    if has_data(counts):
        return _ratio(counts.total - counts.bad, counts.total)
    return None


def error_ratio(counts: Counts | None) -> Fraction | None:
    """Bad / total, or None for no data."""
    if has_data(counts):
        return _ratio(counts.bad, counts.total)
    return None


_SHARES: dict[tuple[int, int], Fraction] = {}


def budget_share(target: Fraction) -> Fraction:
    """1 − target (memoised by the exact value: the evaluator asks tens of thousands of times per run;
    keyed on the integer pair because hashing a Fraction is slow)."""
    key = (target.numerator, target.denominator)
    share = _SHARES.get(key)
    if share is None:
        if len(_SHARES) > 10000:
            _SHARES.clear()
        share = _SHARES[key] = 1 - target
    return share


def burn_rate(counts: Counts | None, *, target: Fraction) -> Fraction | None:
    """How many times faster than "exactly on budget" the budget burns in this window (None: no data).

    Lies in ``[0, 1 / (1 − target)]``."""
    if not has_data(counts):
        return None
    return _burn(counts, budget_share(target))


def _burn(counts: Counts, share: Fraction) -> Fraction:
    if isinstance(counts.bad, int) and isinstance(counts.total, int):
        return Fraction(counts.bad * share.denominator, counts.total * share.numerator)
    return _ratio(counts.bad, counts.total) / share


@dataclass(frozen=True)
class Budget:
    total_events: Number
    allowed_bad: Fraction  # (1 − target) × total
    bad: Number
    consumed: Fraction | None  # bad / allowed; None without data
    remaining_ratio: Fraction | None  # 1 − consumed (negative once overspent)


def budget(counts: Counts | None, *, target: Fraction) -> Budget:
    """The error budget over the SLO window's counts."""
    if has_data(counts):
        allowed = budget_share(target) * counts.total
        consumed = Fraction(counts.bad) / allowed
        return Budget(counts.total, allowed, counts.bad, consumed, 1 - consumed)
    total, bad = (counts.total, counts.bad) if counts else (0, 0)
    return Budget(total, Fraction(0), bad, None, None)


def time_to_exhaustion(
    *, remaining_ratio: Fraction | None, burn: Fraction | None, period_seconds: int
) -> Fraction | None:
    """Seconds until the remaining budget is gone if the current burn rate holds.

    At burn rate 1 a whole budget lasts one period, so the remaining share lasts
    ``remaining × period / burn``. 0 when already spent; None without data or when nothing burns."""
    if remaining_ratio is None or burn is None:
        return None
    if remaining_ratio <= 0:
        return Fraction(0)
    if burn <= 0:
        return None
    return remaining_ratio * period_seconds / burn


def exhaustion_words(seconds: float | None) -> str:
    """``time_to_exhaustion`` for people: ``"2 d 3 h"``, ``"exhausted"`` once spent, ``"never at the current rate"``
    when nothing burns (None)."""
    if seconds is None:
        return "never at the current rate"
    if round(seconds) <= 0:
        return "exhausted"
    return duration_words(seconds)


@dataclass(frozen=True)
class Condition:
    """Fire when the burn rate over ``long_window`` AND over ``short_window`` both exceed ``factor``."""

    name: str
    severity: str
    factor: Fraction
    long_window: int
    short_window: int


DEFAULT_POLICY: tuple[Condition, ...] = (
    Condition("fast-burn", "page", Fraction("14.4"), 3600, 300),
    Condition("slow-burn", "page", Fraction(6), 21600, 1800),
    Condition("budget-drain", "ticket", Fraction(1), 259200, 21600),
)


@dataclass(frozen=True)
class ConditionResult:
    condition: Condition
    threshold: Fraction  # factor × (1 − target): the error ratio both windows must exceed
    long_ratio: Fraction | None
    short_ratio: Fraction | None
    long_burn: Fraction | None
    short_burn: Fraction | None
    firing: bool
    data_state: str  # "ok" | "no_data"


def condition_evaluate(
    condition: Condition,
    *,
    counts: Mapping[int, Counts | None],
    target: Fraction,
    _cache: dict[int, tuple[Fraction | None, Fraction | None]] | None = None,
) -> ConditionResult:
    """One multi-window condition. Strictly greater than the threshold (as in the Workbook's rules); a
    window without data never fires."""
    threshold = _threshold(condition.factor, target)
    cache = {} if _cache is None else _cache
    for w in (condition.long_window, condition.short_window):
        if w not in cache:
            cache[w] = (error_ratio(counts.get(w)), burn_rate(counts.get(w), target=target))
    (long_ratio, long_burn), (short_ratio, short_burn) = cache[condition.long_window], cache[condition.short_window]
    no_data = long_ratio is None or short_ratio is None
    firing = long_ratio is not None and short_ratio is not None and long_ratio > threshold and short_ratio > threshold
    return ConditionResult(
        condition=condition,
        threshold=threshold,
        long_ratio=long_ratio,
        short_ratio=short_ratio,
        long_burn=long_burn,
        short_burn=short_burn,
        firing=firing,
        data_state="no_data" if no_data else "ok",
    )


def _threshold(factor: Fraction, target: Fraction) -> Fraction:
    return factor * budget_share(target)


def policy_windows(conditions: Iterable[Condition]) -> set[int]:
    return {w for c in conditions for w in (c.long_window, c.short_window)}


@dataclass(frozen=True)
class Evaluation:
    """Everything the status shows for one SLO at one instant."""

    data_state: str  # "ok" | "no_data"
    window_seconds: int
    counts: Counts | None
    sli: Fraction | None
    budget: Budget
    burn_rates: dict[str, Fraction | None]
    time_to_exhaustion: Fraction | None
    conditions: list[ConditionResult] = field(default_factory=list)

    @property
    def firing(self) -> list[ConditionResult]:
        return [c for c in self.conditions if c.firing]


def evaluate(
    *,
    target: Fraction,
    window_seconds: int,
    period_seconds: int,
    counts: Mapping[int, Counts | None],
    conditions: Iterable[Condition],
    burn_windows: Mapping[str, int],
    exhaustion_window: int = 3600,
) -> Evaluation:
    """Evaluate an SLO from its counts per window length (seconds -> Counts or None).

    ``burn_rates`` holds every named window plus ``"slo"`` (the SLO window: equal to budget consumed).
    Time to exhaustion uses the burn over ``exhaustion_window`` (1 h: recent enough to react, long enough
    not to flap)."""
    window_counts = counts.get(window_seconds)
    cache: dict[int, tuple[Fraction | None, Fraction | None]] = {}
    rates = {name: burn_rate(counts.get(seconds), target=target) for name, seconds in burn_windows.items()}
    for name, seconds in burn_windows.items():
        cache[seconds] = (error_ratio(counts.get(seconds)), rates[name])
    rates["slo"] = burn_rate(window_counts, target=target)
    b = budget(window_counts, target=target)
    tte = time_to_exhaustion(
        remaining_ratio=b.remaining_ratio,
        burn=burn_rate(counts.get(exhaustion_window), target=target),
        period_seconds=period_seconds,
    )
    return Evaluation(
        data_state="ok" if has_data(window_counts) else "no_data",
        window_seconds=window_seconds,
        counts=window_counts,
        sli=sli(window_counts),
        budget=b,
        burn_rates=rates,
        time_to_exhaustion=tte,
        conditions=[condition_evaluate(c, counts=counts, target=target, _cache=cache) for c in conditions],
    )


def timeslice_counts(*, slices: Iterable[Counts], slice_target: Fraction) -> Counts:
    """OpenSLO ``Timeslices``: each slice with data is good when its SLI reaches ``slice_target``; the
    result counts bad slices over slices with data (a slice without traffic is not counted)."""
    bad = total = 0
    for c in slices:
        ratio = sli(c)
        if ratio is None:
            continue
        total += 1
        bad += ratio < slice_target
    return Counts(bad, total)


def counts_sum(items: Iterable[Counts | None]) -> Counts | None:
    """Sum of the windows' counts; None when every part is None (no data anywhere)."""
    out: Counts | None = None
    for c in items:
        if c is not None:
            out = c if out is None else out + c
    return out
