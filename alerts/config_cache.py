"""The configuration intake and group flushes read on every batch (routing tree, receivers, silences,
maintenance windows, inhibition rules, time intervals), kept in the process while ``ConfigVersion`` is
unchanged: one small query per batch instead of one per table, and no re-parsing of matchers.

Time-dependent parts (silences, windows) are kept with their bounds and filtered at the instant asked for,
so a copy stays right as time passes; a copy is only reused for instants at or after the one it was loaded
for (tests move time in both directions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from alerts import sql
from alerts.domain import routing, suppression
from alerts.domain.matchers import Matcher, matches_all
from alerts.models import InhibitRule, MaintenanceWindow, Receiver, Silence, TimeInterval
from alerts.selectors import route_rows, routing_tree, stored_matchers


@dataclass(frozen=True)
class SilenceEntry:
    id: str
    starts_at: datetime
    ends_at: datetime
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class WindowEntry:
    id: int
    window: MaintenanceWindow
    route_ids: frozenset[int]
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class IntakeConfig:
    """A read-only copy of the configuration (ORM instances inside are never saved)."""

    version: str | None
    loaded_at: datetime
    tree: routing.Route | None
    receivers: dict[str, Receiver]
    silences: tuple[SilenceEntry, ...]
    windows: tuple[WindowEntry, ...]
    rules: tuple[suppression.InhibitRule, ...]
    intervals: dict[str, list[dict[str, Any]]]

    def silences_at(self, now: datetime) -> list[SilenceEntry]:
        return [s for s in self.silences if s.starts_at <= now < s.ends_at]

    def windows_at(self, now: datetime) -> list[WindowEntry]:
        """Windows with an occurrence covering ``now`` (as ``selectors.maintenance_active``)."""
        out = []
        for entry in self.windows:
            w = entry.window
            if w.starts_at > now:
                continue
            if suppression.occurrence_at(
                starts_at=w.starts_at, ends_at=w.ends_at, recurrence=w.recurrence, until=w.recurrence_until, at=now
            ):
                out.append(entry)
        return out

    def silenced_by(self, labels: dict[str, str], *, now: datetime) -> list[str]:
        """Ids of what silences these labels now: silences, then matcher-based maintenance windows."""
        ids = [s.id for s in self.silences_at(now) if matches_all(s.matchers, labels)]
        ids += [f"maintenance:{w.id}" for w in self.windows_at(now) if w.matchers and matches_all(w.matchers, labels)]
        return ids


_cached: IntakeConfig | None = None


def intake_config(*, now: datetime) -> IntakeConfig:
    """The current configuration: the process's copy if ``ConfigVersion`` still has its version, else a fresh
    load (cached for the next call). Costs one query when the copy is current."""
    return intake_config_for(version=sql.config_version(), now=now)


def intake_config_for(*, version: str | None, now: datetime) -> IntakeConfig:
    """``intake_config`` for a ``version`` the caller read (None: no version row yet), in its transaction."""
    global _cached
    cached = _cached
    if version is not None and cached is not None and cached.version == version and cached.loaded_at <= now:
        return cached
    config = _load(version=version, now=now)
    if version is not None:
        _cached = config
    return config


def intake_config_clear() -> None:
    global _cached
    _cached = None


def _load(*, version: str | None, now: datetime) -> IntakeConfig:
    rows = route_rows()
    receivers = {r.name: r for r in Receiver.objects.all()}
    silences = tuple(
        SilenceEntry(
            id=str(s.id), starts_at=s.starts_at, ends_at=s.ends_at, matchers=suppression.silence_matchers(s.matchers)
        )
        for s in Silence.objects.filter(ends_at__gt=now)
    )
    candidates = MaintenanceWindow.objects.filter(Q(recurrence="none", ends_at__gt=now) | ~Q(recurrence="none"))
    windows = tuple(
        WindowEntry(
            id=w.pk,
            window=w,
            route_ids=frozenset(r.pk for r in w.routes.all()),
            matchers=stored_matchers(w.matchers, owner=f"Maintenance window {w.pk}") if w.matchers else (),
        )
        for w in candidates.prefetch_related("routes")
    )
    rules = tuple(
        suppression.InhibitRule(
            source=stored_matchers(rule.source_matchers, owner=f"Inhibition rule {rule.pk}"),
            target=stored_matchers(rule.target_matchers, owner=f"Inhibition rule {rule.pk}"),
            equal=tuple(rule.equal or ()),
        )
        for rule in InhibitRule.objects.all()
    )
    intervals = {ti.name: ti.entries for ti in TimeInterval.objects.all()}
    return IntakeConfig(
        version=version,
        loaded_at=now,
        tree=routing_tree(rows),
        receivers=receivers,
        silences=silences,
        windows=windows,
        rules=rules,
        intervals=intervals,
    )
