"""Reads of the rules app: rules and their active alerts, and the stored metrics a set of PromQL plans needs
(through ``telemetry.selectors``, in a constant number of queries whatever the number of rules)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from rules.choices import AlertState
from rules.domain.promql import Minute, Need, SeriesData
from rules.models import AlertRule, RuleAlert
from telemetry.selectors import minute_rows, series_matches, series_of_names


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


def rule_alerts(*, rule_ids: Iterable[int]) -> dict[int, list[RuleAlert]]:
    out: dict[int, list[RuleAlert]] = {}
    for alert in RuleAlert.objects.filter(rule_id__in=list(rule_ids)).order_by("rule_id", "pk"):
        out.setdefault(alert.rule_id, []).append(alert)
    return out


def rule_series_data(*, needs: Iterable[Need], start: int, end: int) -> dict[Need, list[SeriesData]]:
    """For each selector, every stored series of its metric matching its matchers, with its minutes in
    ``[start, end)`` (folded and staged rows). Two queries plus one per 1,000 series."""
    needs = list(dict.fromkeys(needs))
    by_name = series_of_names(names={n.name for n in needs})
    chosen: dict[Need, list] = {
        need: [s for s in by_name.get(need.name, []) if series_matches(s.labels, need.matchers)] for need in needs
    }
    ids = {s.id for refs in chosen.values() for s in refs}
    rows = minute_rows(series_ids=ids, start=start, end=end)
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
