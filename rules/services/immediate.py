"""Immediate (log line) rules: every line the log ingest stores is matched against the enabled ``log_line`` rules,
and a match raises a firing alert from the ingest path itself, without waiting for an evaluation.

The seam: ``telemetry.services.logs_ingest`` calls the hooks of ``SRE["LOG_INGEST_HOOKS"]`` with the lines of a
batch once it is stored (after commit; never for a retried ``batch_id``; a failing hook is logged and the ingest
still succeeds). It runs in the push's request, before the response: a push with matching lines answers once
their alerts are in the intake (and, with ``group_wait`` 0, their notification is in the outbox and handed to
the worker's relay thread), a few milliseconds more on PostgreSQL. Telemetry does not import this app: data
flows telemetry → slo → alerts → rules, and the hook is a dotted path in the settings (as ``ALERT_GROUP_HOOKS``
is for alerts).

A line matches a rule when its service is the rule's ``log_service`` (if set), its level is among
``log_levels`` (if set) and the RE2 ``log_pattern`` (if set) is found in its message (``regex_search``,
unanchored). The alert's labels are the line's ``service`` and ``level``, the rule's labels and ``alertname`` =
the rule's name, so a rule raises one alert per service and level. Annotations are the rule's templates with
``$labels`` the line's labels and ``$value`` the number of lines of the batch with that label set; without a
``description`` the alert also carries ``message``: the first such line's message, cut to 500 characters.

State: each label set is a ``RuleAlert`` row, firing at once (``for_seconds`` does not apply: a line is an
event, not a condition that holds). A label set already firing is not sent again: its row only gets
``last_true_at`` = now. ``rules.services.evaluate.log_line_expire`` (every rules evaluation) resolves the rows
with no new match for ``keep_firing_for_seconds`` (300 by default) and deletes them, so a later match raises
the alert anew. All of a batch's new alerts go to the intake in one ``alerts_ingest`` batch.

Cost: the rules are read once per process at most every ``REFRESH_SECONDS`` (2 s; one query on the
``(kind, enabled)`` index returning the few log line rules, as cheap as a version check such as max
``updated_at`` would be, and it also sees deletions), so a change reaches every process within 2 s and a batch
costs one pass over its lines in memory. Matching lines cost a constant number of queries per batch (lock the
matched rules, read their rows, one update, one insert, the intake), none per line; a batch with no match, none.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from alerts.domain.matchers import fingerprint
from alerts.services import AlertInput, alerts_ingest
from rules.choices import AlertState, RuleKind
from rules.domain.template import render
from rules.models import AlertRule, RuleAlert
from rules.services.evaluate import SOURCE, alert_labels, rule_link
from sre.domain.regex import RegexError, regex_compile, regex_search
from telemetry.domain.logs import LogRecord

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class LineRule:
    """What a log line rule matches, as cached per process."""

    pk: int
    service: str
    levels: frozenset[str]
    pattern: str


@dataclass
class LineMatch:
    """The lines of one batch that match one rule with one (service, level)."""

    count: int
    message: str  # the first one's


def line_matches(rule: LineRule, record: LogRecord) -> bool:
    if rule.service and record.service != rule.service:
        return False
    if rule.levels and record.level not in rule.levels:
        return False
    return not rule.pattern or regex_search(rule.pattern, record.message)


def lines_match(*, rules: Sequence[LineRule], records: Iterable[LogRecord]) -> dict[tuple[int, str, str], LineMatch]:
    """(rule pk, service, level) → how many lines of ``records`` match, and the first one's message."""
    out: dict[tuple[int, str, str], LineMatch] = {}
    for record in records:
        for rule in rules:
            if not line_matches(rule, record):
                continue
            key = (rule.pk, record.service, record.level)
            found = out.get(key)
            if found is None:
                out[key] = LineMatch(count=1, message=record.message)
            else:
                found.count += 1
    return out


class _RuleCache:
    """The enabled log line rules of this process, read again at most every ``REFRESH_SECONDS``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rules: tuple[LineRule, ...] = ()
        self.loaded_at: float | None = None

    def get(self, *, clock: float) -> tuple[LineRule, ...]:
        if self.loaded_at is not None and clock - self.loaded_at < REFRESH_SECONDS:
            return self.rules
        with self.lock:  # one thread of the process reads; the others wait for its answer
            if self.loaded_at is None or clock - self.loaded_at >= REFRESH_SECONDS:
                self.rules = _load()
                self.loaded_at = clock
            return self.rules

    def clear(self) -> None:
        with self.lock:
            self.rules, self.loaded_at = (), None


def _load() -> tuple[LineRule, ...]:
    rows = AlertRule.objects.filter(kind=RuleKind.LOG_LINE, enabled=True).order_by("pk")
    out = []
    for pk, service, levels, pattern in rows.values_list("pk", "log_service", "log_levels", "log_pattern"):
        if pattern:
            try:
                regex_compile(pattern)  # compiled once here (and cached by regex_compile) rather than on a line
            except RegexError:
                logger.warning("Log line rule %s has an invalid pattern; it is skipped", pk)
                continue
        out.append(LineRule(pk=pk, service=service, levels=frozenset(levels or ()), pattern=pattern))
    return tuple(out)


_cache = _RuleCache()


def line_rules() -> tuple[LineRule, ...]:
    """The enabled log line rules, as this process last read them (at most ``REFRESH_SECONDS`` ago)."""
    return _cache.get(clock=time.monotonic())


def line_rules_cache_clear() -> None:
    """Forget the cached rules (tests; the next batch reads them again)."""
    _cache.clear()


def logs_hook(*, records: list[LogRecord], now: dt.datetime) -> int:
    """``SRE["LOG_INGEST_HOOKS"]`` entry: raise the alerts of the log line rules that ``records`` match; returns
    how many were raised (label sets already firing are not)."""
    rules = line_rules()
    if not rules or not records:
        return 0
    matches = lines_match(rules=rules, records=records)
    return log_line_alerts_raise(matches=matches, now=now) if matches else 0


def _annotations(rule: AlertRule, line_labels: dict[str, str], match: LineMatch) -> dict[str, str]:
    out = {name: render(text, labels=line_labels, value=float(match.count)) for name, text in rule.annotations.items()}
    if "description" not in out:
        out.setdefault("message", match.message[:MESSAGE_LIMIT])
    return out


@transaction.atomic
def log_line_alerts_raise(*, matches: dict[tuple[int, str, str], LineMatch], now: dt.datetime) -> int:
    """Fire the alerts of ``matches`` ((rule pk, service, level) → lines) whose label set is not firing yet, in
    one intake batch, and mark every matched label set true at ``now``. Locks the matched rules (ordered by pk),
    so two batches at once cannot both create a label set, and re-checks that each is still an enabled log line
    rule (one deleted or changed since the cache read it is skipped). Returns how many alerts were raised."""
    rule_ids = sorted({rule_id for rule_id, _, _ in matches})
    locked = {
        rule.pk: rule
        for rule in AlertRule.objects.select_for_update()
        .filter(pk__in=rule_ids, kind=RuleKind.LOG_LINE, enabled=True)
        .order_by("pk")
    }
    wanted: dict[tuple[int, str], tuple[AlertRule, dict[str, str], dict[str, str], LineMatch]] = {}
    for (rule_id, service, level), match in matches.items():
        rule = locked.get(rule_id)
        if rule is None:
            continue
        line_labels = {"service": service, "level": level}
        labels = alert_labels(rule, line_labels, float(match.count))
        wanted[(rule_id, fingerprint(labels))] = (rule, line_labels, labels, match)
    if not wanted:
        return 0
    existing = {
        (rule_id, fp): pk
        for pk, rule_id, fp in RuleAlert.objects.filter(
            rule_id__in=list(locked), fingerprint__in={fp for _, fp in wanted}
        ).values_list("pk", "rule_id", "fingerprint")
    }
    if existing:
        # Still firing: only the time of the last match moves (never backwards, if an older batch commits late).
        RuleAlert.objects.filter(pk__in=list(existing.values()), last_true_at__lt=now).update(
            state=AlertState.FIRING, last_true_at=now, keep_firing_since=None
        )
    rows, items = [], []
    for key, (rule, line_labels, labels, match) in wanted.items():
        if key in existing:
            continue
        rows.append(
            RuleAlert(
                rule=rule, fingerprint=key[1], labels=labels, state=AlertState.FIRING, value=float(match.count),
                active_at=now, fired_at=now, last_true_at=now,
            )
        )  # fmt: skip
        items.append(
            AlertInput(
                labels=labels, annotations=_annotations(rule, line_labels, match), status="firing", starts_at=now,
                generator_url=rule_link(rule),
            )
        )  # fmt: skip
    if rows:
        RuleAlert.objects.bulk_create(rows, batch_size=500)
        alerts_ingest(items=items, source=SOURCE, now=now)
    return len(items)
