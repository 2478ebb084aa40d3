"""Log count rules: lines matching (service, levels, words) in the last ``window_seconds``, compared with the
threshold, per group (``service`` and/or ``level``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rules.domain.compare import holds
from rules.models import AlertRule
from sre.errors import SourceUnavailableError
from telemetry.domain.logs import LogQuery
from telemetry.selectors import log_count_over_time

Results = list[tuple[dict[str, str], float]]


def log_rule_counts(*, rule: AlertRule, now: dt.datetime) -> dict[tuple[tuple[str, str], ...], int]:
    """Matching lines in ``(now - window, now]`` per group label set (one group ``()`` when not grouped)."""
    query = LogQuery(
        q=rule.log_text,
        service=rule.log_service,
        levels=tuple(rule.log_levels),
        start=now - dt.timedelta(seconds=rule.window_seconds),
        end=now + dt.timedelta(microseconds=1),
    )
    span = rule.window_seconds + 1
    counts: dict[tuple[tuple[str, str], ...], int] = {}
    for bucket in log_count_over_time(query=query, step=span).buckets:
        key: list[tuple[str, str]] = []
        if "level" in rule.log_group_by:
            key.append(("level", bucket.level))
        if "service" in rule.log_group_by:
            key.append(("service", rule.log_service))
        counts[tuple(key)] = counts.get(tuple(key), 0) + bucket.count
    return counts


def log_rule_results(*, rules: Iterable[AlertRule], now: dt.datetime) -> dict[int, Results | Exception]:
    out: dict[int, Results | Exception] = {}
    for rule in rules:
        try:
            counts = log_rule_counts(rule=rule, now=now)
        except SourceUnavailableError as exc:
            out[rule.pk] = exc
            continue
        if not rule.log_group_by and not counts:
            counts = {(): 0}
        out[rule.pk] = [
            (dict(key), float(n)) for key, n in counts.items() if holds(float(n), rule.comparison, rule.threshold)
        ]
    return out
