"""How the alert list says what a group is and in which order the groups come (pure: no Django, no clock).

- ``severity_of``: the group's severity from its alerts' ``severity`` labels (the worst wins), normalised to one of
  ``SEVERITIES`` (critical > page > error > warning > ticket > info > none); an unknown value counts as ``none``.
- ``group_title``: the alerts' ``summary`` annotation when they have one; otherwise the alertname and the labels
  whose values differ between the alerts (or, for one alert, the group labels that say which one), leaving out
  labels shown elsewhere on the card (service, severity) and the usual scrape noise (job, endpoint, pod, ...).
- ``triage_order``: the order of the list for a sort mode: ``severity`` (worst first, then the longest firing
  first), ``newest`` or ``oldest`` (by when the group started firing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

SEVERITIES: tuple[str, ...] = ("critical", "page", "error", "warning", "ticket", "info", "none")
_RANK = {name: index for index, name in enumerate(SEVERITIES)}
# Common spellings of the same levels (Alertmanager setups, OpsGenie/PagerDuty habits).
_ALIASES = {"crit": "critical", "p1": "critical", "err": "error", "warn": "warning", "information": "info"}
SORTS: tuple[str, ...] = ("severity", "newest", "oldest")

# Shown elsewhere on the card, or scrape/target bookkeeping that says nothing about what is wrong.
NOISE_LABELS = frozenset(
    {
        "alertname",
        "severity",
        "service",
        "job",
        "endpoint",
        "namespace_uid",
        "pod_template_hash",
        "prometheus",
        "prometheus_replica",
        "receive",
        "replica",
        "tenant_id",
        "__name__",
    }
)
MAX_TITLE_LABELS = 3
MAX_TITLE_VALUES = 3


def severity_name(value: object) -> str:
    """``"Critical"`` → ``"critical"``, ``"warn"`` → ``"warning"``; unknown or empty → ``"none"``."""
    text = str(value or "").strip().lower()
    text = _ALIASES.get(text, text)
    return text if text in _RANK else "none"


def severity_rank(value: object) -> int:
    """0 for the worst (critical) … ``len(SEVERITIES) - 1`` for none."""
    return _RANK[severity_name(value)]


def severity_of(label_sets: Iterable[Mapping[str, object]]) -> str:
    """The worst severity among the label sets (``"none"`` when none has a known one)."""
    names = [severity_name(labels.get("severity")) for labels in label_sets]
    return min(names, key=_RANK.__getitem__, default="none")


@dataclass(frozen=True)
class AlertFacts:
    """What the title needs of one alert."""

    labels: Mapping[str, str]
    summary: str = ""


def group_title(*, group_labels: Mapping[str, str], alerts: Sequence[AlertFacts], fallback: str) -> str:
    """One line that says what is wrong (see the module docstring). ``alerts`` are the firing ones, newest first
    (or all of them when none fires); ``fallback`` (e.g. "Alert group 12") when nothing else says anything."""
    summaries = [a.summary.strip() for a in alerts if a.summary and a.summary.strip()]
    if summaries:
        common, _ = Counter(summaries).most_common(1)[0]
        others = len(set(summaries)) - 1
        return common if others == 0 else f"{common} (+{others} other summar{'y' if others == 1 else 'ies'})"
    alertname = alertname_of(group_labels, alerts)
    details = _differing(alerts) if len(alerts) > 1 else _identifying(group_labels, alerts)
    text = " · ".join(part for part in (alertname, details) if part)
    return text or fallback


def alertname_of(group_labels: Mapping[str, str], alerts: Sequence[AlertFacts]) -> str:
    """The group's alertname, else its alerts' (up to three, then "+n")."""
    if group_labels.get("alertname"):
        return str(group_labels["alertname"])
    names = sorted({str(a.labels.get("alertname")) for a in alerts if a.labels.get("alertname")})
    if len(names) > MAX_TITLE_VALUES:
        return ", ".join(names[:MAX_TITLE_VALUES]) + f" +{len(names) - MAX_TITLE_VALUES}"
    return ", ".join(names)


def _differing(alerts: Sequence[AlertFacts]) -> str:
    """``instance: db-1, db-2 +3`` for each label whose value is not the same on every alert."""
    names = sorted({name for a in alerts for name in a.labels} - NOISE_LABELS)
    parts = []
    for name in names:
        values = list(dict.fromkeys(str(a.labels.get(name, "")) for a in alerts))
        if len(values) < 2:
            continue
        shown = [v for v in values if v][:MAX_TITLE_VALUES]
        more = len([v for v in values if v]) - len(shown)
        parts.append(f"{name}: {', '.join(shown)}" + (f" +{more}" if more > 0 else ""))
        if len(parts) == MAX_TITLE_LABELS:
            break
    return " · ".join(parts)


def _identifying(group_labels: Mapping[str, str], alerts: Sequence[AlertFacts]) -> str:
    """For one alert: the group labels (else its own labels) that are not noise, ``name=value``."""
    labels = group_labels if any(k not in NOISE_LABELS for k in group_labels) else (alerts[0].labels if alerts else {})
    parts = [f"{k}={v}" for k, v in sorted(labels.items()) if k not in NOISE_LABELS and v != ""]
    return " · ".join(parts[:MAX_TITLE_LABELS])


T = TypeVar("T")


@dataclass(frozen=True)
class OrderFacts:
    """What the order needs of one group: its severity name, when it started firing and a tie-breaker id."""

    severity: str
    started_at: datetime
    id: int


def triage_key(facts: OrderFacts, *, sort: str) -> tuple[Any, ...]:
    """Sort key of one group for ``sort`` (an unknown mode sorts as ``severity``)."""
    started = facts.started_at.timestamp()
    if sort == "newest":
        return (-started, -facts.id)
    if sort == "oldest":
        return (started, facts.id)
    return (severity_rank(facts.severity), started, facts.id)


def triage_order(items: Iterable[tuple[OrderFacts, T]], *, sort: str) -> list[T]:
    """The items (paired with their facts) in the list's order for ``sort``."""
    return [item for _, item in sorted(items, key=lambda pair: triage_key(pair[0], sort=sort))]
