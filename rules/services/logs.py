"""Log count rules: lines matching (service, levels, words) in the last ``window_seconds``, compared with the
threshold, per group of ``log_group_by`` (``service`` and/or ``level``).

Counts come from the log store's ``count_by`` (``telemetry.selectors.log_count_by``): one aggregation per rule,
a ``GROUP BY`` on the database store, nested ``terms`` aggregations on Elasticsearch. One query per rule is
accepted: rules rarely share a query, and each is a single indexed aggregation over its window.

An ungrouped rule compares the total, 0 when nothing matched, so ``< 1`` fires when a service goes quiet. A
grouped rule sees only the groups that have lines in the window: a grouped ``<`` (or ``<=``, ``==`` 0) rule
cannot fire for a service or level that logged nothing at all; say the service (and level) in the query and
leave the rule ungrouped to watch for silence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rules.domain.checks import LOG_GROUP_LABELS
from rules.domain.compare import holds
from rules.models import AlertRule
from sre.errors import SourceUnavailableError
from telemetry.domain.logs import LogQuery
from telemetry.selectors import log_count_by

Results = list[tuple[dict[str, str], float]]


def log_rule_counts(*, rule: AlertRule, now: dt.datetime) -> dict[tuple[tuple[str, str], ...], int]:
    """Matching lines in ``(now - window, now]`` per group label set (the one group ``()``, with the total,
    when not grouped)."""
    query = LogQuery(
        q=rule.log_text,
        service=rule.log_service,
        levels=tuple(rule.log_levels),
        start=now - dt.timedelta(seconds=rule.window_seconds),
        end=now + dt.timedelta(microseconds=1),
    )
    by = tuple(label for label in LOG_GROUP_LABELS if label in rule.log_group_by)
    counts = log_count_by(query=query, by=by)
    if not by:
        return {(): sum(counts.values())}
    return {tuple(zip(by, key, strict=True)): n for key, n in counts.items()}


def log_rule_results(*, rules: Iterable[AlertRule], now: dt.datetime) -> dict[int, Results | Exception]:
    """Per rule pk: the label sets (``service``/``level`` of the group) whose count holds against the
    threshold, with the count, or the store's error (the rule is then marked erroring, nothing changes)."""
    out: dict[int, Results | Exception] = {}
    for rule in rules:
        try:
            counts = log_rule_counts(rule=rule, now=now)
        except SourceUnavailableError as exc:
            out[rule.pk] = exc
            continue
        out[rule.pk] = [
            (dict(key), float(n)) for key, n in counts.items() if holds(float(n), rule.comparison, rule.threshold)
        ]
    return out
