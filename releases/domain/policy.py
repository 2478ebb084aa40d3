"""Error-budget policy values: defaults, validation of what people type, and what a threshold means.

Pure: no Django, no I/O, no clock. Thresholds are percentages of the error budget consumed (100 = all of it;
above 100 = overspent), kept exact as ``Fraction``s of the decimal typed (``99.5`` is exactly 99.5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TypeVar

from slo.domain.exact import decimal_str

DEFAULT_THRESHOLDS: tuple[int, ...] = (80, 95, 100)
DEFAULT_FACTOR = 10
DEFAULT_WATCH_MINUTES = 60
DEFAULT_MIN_BAD_EVENTS = 10
EXHAUSTED = Fraction(100)  # percent: the whole budget
MAX_THRESHOLDS = 10
MAX_THRESHOLD = 1000
MAX_FACTOR = 1000
MAX_WATCH_MINUTES = 1440
MAX_MIN_BAD_EVENTS = 1_000_000


_T = TypeVar("_T")


class PolicyError(ValueError):
    """Invalid policy values; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        field, messages = next(iter(errors.items()))
        super().__init__(f"{field}: {messages[0]}")


@dataclass(frozen=True)
class BudgetRules:
    """The policy in force for one SLO (its own, its service's, or the defaults)."""

    thresholds: tuple[Fraction, ...]  # percent, ascending
    freeze: bool
    factor: Fraction
    watch_minutes: int
    min_bad_events: int


def thresholds_default() -> list[int]:
    return list(DEFAULT_THRESHOLDS)


DEFAULT_RULES = BudgetRules(
    thresholds=tuple(Fraction(t) for t in DEFAULT_THRESHOLDS),
    freeze=True,
    factor=Fraction(DEFAULT_FACTOR),
    watch_minutes=DEFAULT_WATCH_MINUTES,
    min_bad_events=DEFAULT_MIN_BAD_EVENTS,
)


def _decimal(value: object) -> Decimal | None:
    """A finite decimal of an int, a float (its shortest repr: 99.5 is 99.5) or a Decimal; None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, Decimal):
            number = value
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _places_ok(number: Decimal, places: int) -> bool:
    return number == number.quantize(Decimal(1).scaleb(-places)) if number.adjusted() < 10 else False


def thresholds_parse(value: object) -> tuple[Fraction, ...]:
    """1 to 10 distinct numbers above 0 and at most 1000 with at most two decimals, as exact Fractions in
    ascending order. Raises ``PolicyError`` naming ``thresholds``."""
    if not isinstance(value, list | tuple) or not value:
        raise PolicyError({"thresholds": ["A list of 1 to 10 percentages, e.g. [80, 95, 100]."]})
    if len(value) > MAX_THRESHOLDS:
        raise PolicyError({"thresholds": [f"At most {MAX_THRESHOLDS} thresholds."]})
    out: list[Fraction] = []
    for item in value:
        number = _decimal(item)
        if number is None:
            raise PolicyError({"thresholds": [f"{item!r} is not a number."]})
        if not 0 < number <= MAX_THRESHOLD or not _places_ok(number, 2):
            raise PolicyError(
                {"thresholds": [f"{item!r}: a percentage above 0 and at most {MAX_THRESHOLD}, two decimals at most."]}
            )
        out.append(Fraction(number))
    if len(set(out)) != len(out):
        raise PolicyError({"thresholds": ["Each threshold once."]})
    return tuple(sorted(out))


def thresholds_dump(thresholds: Iterable[Fraction]) -> list[int | float]:
    """JSON numbers: ints where whole, else the two-decimal float (which reads back exactly through its repr)."""
    return [int(t) if t.denominator == 1 else float(decimal_str(t)) for t in thresholds]


def factor_parse(value: object) -> Fraction:
    number = _decimal(value)
    if number is None or not 1 <= number <= MAX_FACTOR or not _places_ok(number, 2):
        raise PolicyError({"release_burn_factor": [f"A number from 1 to {MAX_FACTOR} (two decimals at most)."]})
    return Fraction(number)


def whole_parse(value: object, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PolicyError({field: [f"A whole number from {low} to {high}."]})
    return value


def rules_parse(
    *, thresholds: object, freeze: object, factor: object, watch_minutes: object, min_bad_events: object
) -> BudgetRules:
    """Every field checked; ``PolicyError`` lists every field in error."""
    errors: dict[str, list[str]] = {}
    parsed_thresholds = _checked(errors, lambda: thresholds_parse(thresholds))
    parsed_factor = _checked(errors, lambda: factor_parse(factor))
    parsed_watch = _checked(
        errors, lambda: whole_parse(watch_minutes, field="release_watch_minutes", low=1, high=MAX_WATCH_MINUTES)
    )
    parsed_min_bad = _checked(
        errors, lambda: whole_parse(min_bad_events, field="release_min_bad_events", low=1, high=MAX_MIN_BAD_EVENTS)
    )
    if not isinstance(freeze, bool):
        errors["freeze_on_exhaustion"] = ["true or false."]
    # A None is a field in error: the second half only narrows the types for the return below.
    if errors or parsed_thresholds is None or parsed_factor is None or parsed_watch is None or parsed_min_bad is None:
        raise PolicyError(errors)
    return BudgetRules(
        thresholds=parsed_thresholds,
        freeze=bool(freeze),
        factor=parsed_factor,
        watch_minutes=parsed_watch,
        min_bad_events=parsed_min_bad,
    )


def _checked(errors: dict[str, list[str]], check: Callable[[], _T]) -> _T | None:
    """``check()``, or None with its field errors added to ``errors``."""
    try:
        return check()
    except PolicyError as exc:
        errors.update(exc.errors)
        return None


def effective_thresholds(rules: BudgetRules) -> tuple[Fraction, ...]:
    """The thresholds notices are kept for: the policy's, plus 100% when it freezes releases (the exhaustion
    notice is when the freeze began: the deploy gate's "since")."""
    if rules.freeze and EXHAUSTED not in rules.thresholds:
        return (*rules.thresholds, EXHAUSTED)
    return rules.thresholds


def percent_label(threshold: Fraction) -> str:
    """``80%``, ``99.5%``: the ``threshold`` label of a notice."""
    return f"{decimal_str(Fraction(threshold))}%"


def threshold_severity(threshold: Fraction) -> str:
    """``critical`` at exhaustion and beyond, ``warning`` from 95%, ``info`` below."""
    if threshold >= EXHAUSTED:
        return "critical"
    if threshold >= 95:
        return "warning"
    return "info"
