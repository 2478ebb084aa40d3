"""Delivery maths: which failures are retried, backoff with jitter, the circuit breaker, rate limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


def is_transient(*, status: int | None, network_error: bool) -> bool:
    """Retry on 429, 5xx and network errors only; any other 4xx is final."""
    if network_error:
        return True
    return status is not None and (status == 429 or 500 <= status <= 599)


def backoff_seconds(*, attempt: int, base: float, cap: float, jitter: float) -> float:
    """Exponential backoff ``base * 2**(attempt-1)`` bounded by ``cap``, scaled by ``jitter`` in [0, 1):
    "equal jitter" keeps at least half the delay so retries never stampede back immediately."""
    raw: float = min(cap, base * (2 ** max(0, attempt - 1)))  # int ** int is Any to mypy (a negative power is a float)
    return raw / 2 + raw / 2 * jitter


@dataclass(frozen=True)
class Breaker:
    """Per-receiver circuit breaker: ``failures`` consecutive transient failures; open until ``open_until``."""

    failures: int = 0
    open_until: datetime | None = None


@dataclass(frozen=True)
class AttemptRecord:
    """What finishing an attempt writes: the notification's new ``state`` (and ``last_error``, ``delivered_at``,
    ``next_attempt_at``), the ledger row's result, and a timeline row (``event_kind`` empty: none)."""

    state: str
    last_error: str
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    outcome: str
    http_status: int | None
    latency_ms: float
    error: str
    event_kind: str
    event_message: str
    final: bool  # not to be retried: the next notification of the same key may go


def breaker_allows(breaker: Breaker, *, now: datetime) -> bool:
    """Closed, or open but cooled down (half-open: one trial attempt goes through)."""
    return breaker.open_until is None or now >= breaker.open_until


def breaker_after(breaker: Breaker, *, success: bool, now: datetime, threshold: int, cooldown: float) -> Breaker:
    """The breaker after an attempt: success closes it; the threshold-th consecutive failure (or any failure
    of a half-open trial) opens it for ``cooldown`` seconds."""
    if success:
        return Breaker()
    failures = breaker.failures + 1
    if failures >= threshold or breaker.open_until is not None:
        return Breaker(failures=failures, open_until=now + timedelta(seconds=cooldown))
    return Breaker(failures=failures, open_until=None)


def rate_limit_wait(*, recent: list[datetime], now: datetime, limit: int, window: float = 60.0) -> float:
    """Seconds to wait before another event may go to a key that saw ``recent`` sends (sliding window)."""
    cutoff = now - timedelta(seconds=window)
    inside = sorted(t for t in recent if t > cutoff)
    if len(inside) < limit:
        return 0.0
    oldest_that_must_leave = inside[len(inside) - limit]
    return max(0.0, (oldest_that_must_leave - cutoff).total_seconds())


def rate_limit_wait_nth(*, nth_most_recent: datetime | None, now: datetime, window: float = 60.0) -> float:
    """The same answer as ``rate_limit_wait`` given only the ``limit``-th most recent send inside the window
    (``None`` when fewer than ``limit`` sends are inside it): wait until that one leaves the window."""
    if nth_most_recent is None:
        return 0.0
    cutoff = now - timedelta(seconds=window)
    return max(0.0, (nth_most_recent - cutoff).total_seconds())


def shared_rate_depth(*, limit: int, concurrency: int) -> int | None:
    """How deep a claimer that does not serialise on the routing key must look to know it is within the limit.

    Claimers that only share the key's lock run side by side, each blind to the others' uncommitted sends; there
    are at most ``concurrency`` of them at once (the database's connection limit), so one may send without the
    exclusive lock only if fewer than ``limit - concurrency`` sends are in the window: then even with every
    other connection sending too, the window holds at most ``limit`` sends. Returns that depth (a send exists
    at this depth: too close to the limit, take the exclusive lock), or None when the limit is too small for
    shared claims to be safe at all."""
    depth = limit - concurrency
    return depth if depth >= 1 else None


def lock_rank(*, pk: int, digest: str, receivers: Iterable[tuple[int, str]]) -> int:
    """Where a receiver's lock set comes in the one order every transaction takes them: the lowest pk of the
    set. The sets are disjoint: the receivers sharing a PagerDuty routing key (``digest``, among
    ``receivers`` as (pk, digest) pairs), or the receiver alone when it has none."""
    if not digest:
        return pk
    return min([other for other, other_digest in receivers if other_digest == digest] + [pk])


PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
_SEVERITY_ALIASES = {
    "critical": "critical",
    "page": "critical",
    "fatal": "critical",
    "high": "error",
    "error": "error",
    "major": "error",
    "warning": "warning",
    "warn": "warning",
    "ticket": "warning",
    "minor": "warning",
    "medium": "warning",
    "low": "info",
    "info": "info",
    "informational": "info",
    "none": "info",
}


def pagerduty_severity(value: str | None, *, default: str = "critical") -> str:
    """Map an alert's ``severity`` label to PagerDuty's four severities (unknown values -> ``default``)."""
    return _SEVERITY_ALIASES.get((value or "").strip().lower(), default)
