"""Reads of the rules app: rules and their active alerts, and the stored metrics a set of PromQL plans needs
(through ``telemetry.selectors``, in a constant number of queries whatever the number of rules)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from rules.choices import AlertState
from rules.domain.promql import Minute, Need, SeriesData
from rules.models import AlertRule, RuleAlert
from telemetry.selectors import minute_rows, series_matches, series_of_names

LOOKBACK = 300  # an instant selector's lookback (Prometheus' default)


def rule_list(*, kind: str = "", group: str = "") -> QuerySet[AlertRule]:
    qs = AlertRule.objects.annotate(
        firing_count=Count("alerts", filter=Q(alerts__state=AlertState.FIRING)),
        pending_count=Count("alerts", filter=Q(alerts__state=AlertState.PENDING)),
    )
    if kind:
        qs = qs.filter(kind=kind)
    if group:
        qs = qs.filter(group=group)
    return qs.order_by("group", "name", "pk")


def rule_get(*, rule_id: int) -> AlertRule | None:
    return AlertRule.objects.filter(pk=rule_id).first()


def rule_alerts(*, rule_ids: Iterable[int]) -> dict[int, list[RuleAlert]]:
    out: dict[int, list[RuleAlert]] = {}
    for alert in RuleAlert.objects.filter(rule_id__in=list(rule_ids)).order_by("rule_id", "pk"):
        out.setdefault(alert.rule_id, []).append(alert)
    return out


def _postings(series: list) -> dict[tuple[str, str], list[int]]:
    """(label, value) -> positions in ``series`` (an inverted index, as Prometheus keeps one)."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, ref in enumerate(series):
        for pair in ref.labels.items():
            out.setdefault(pair, []).append(i)
    return out


def _select(series: list, postings: dict[tuple[str, str], list[int]], matchers: tuple) -> list:
    """The series matching every matcher: equality matchers narrow through the index, the rest are checked."""
    equal = [(label, value) for label, op, value in matchers if op == "=" and value != ""]
    if not equal:
        return [ref for ref in series if series_matches(ref.labels, matchers)]
    lists = sorted((postings.get(pair, []) for pair in equal), key=len)
    chosen = set(lists[0]).intersection(*lists[1:]) if len(lists) > 1 else lists[0]
    rest = [m for m in matchers if not (m[1] == "=" and m[2] != "")]
    picked = [series[i] for i in sorted(chosen)]
    return [ref for ref in picked if series_matches(ref.labels, rest)] if rest else picked


def rule_series_data(*, needs: Iterable[Need], first_minute: int, end: int) -> dict[Need, list[SeriesData]]:
    """For each selector, every stored series of its metric matching its matchers, with its minutes (folded and
    staged rows) from as far before ``first_minute`` (the minute of the first evaluation) as the selectors that
    chose it reach, up to ``end`` (exclusive). Two queries plus about one per 1,000 series."""
    needs = list(dict.fromkeys(needs))
    by_name = series_of_names(names={n.name for n in needs})
    postings = {name: _postings(items) for name, items in by_name.items()}
    chosen: dict[Need, list] = {
        need: _select(by_name.get(need.name, []), postings.get(need.name, {}), need.matchers) for need in needs
    }
    # each series is read as far back as the longest of the selectors that chose it needs (a 5m rate reads
    # six minutes, not the longest range of any rule)
    reach: dict[int, int] = {}
    for need, refs in chosen.items():
        back = need.offset_seconds + (need.range_seconds or LOOKBACK) + 60
        for ref in refs:
            reach[ref.id] = max(reach.get(ref.id, 0), back)
    by_reach: dict[int, list[int]] = {}
    for sid, back in reach.items():
        by_reach.setdefault(back, []).append(sid)
    rows: dict[int, dict[int, tuple]] = {}
    for back, ids in by_reach.items():
        rows.update(minute_rows(series_ids=ids, start=first_minute - back, end=end))
    built: dict[int, SeriesData] = {}
    out: dict[Need, list[SeriesData]] = {}
    for need, refs in chosen.items():
        items = []
        for ref in refs:
            data = built.get(ref.id)
            if data is None:
                minutes = {m: Minute(*row) for m, row in rows.get(ref.id, {}).items()}
                data = built[ref.id] = SeriesData(labels=ref.labels, kind=ref.kind, minutes=minutes)
            items.append(data)
        out[need] = items
    return out
