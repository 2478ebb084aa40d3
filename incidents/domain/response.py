"""Response metrics (pure): MTTA, MTTM and MTTR per month and severity or service.

Definitions (shown on the Insights page):
- MTTA, mean time to acknowledge: acknowledged − detected (detected defaults to started).
- MTTM, mean time to mitigate: mitigated − started (when customer impact stopped).
- MTTR, mean time to resolve: resolved − started.
An incident counts in the month (UTC) it started in; a mean only uses incidents that have both timestamps,
and ``n_*`` says how many that was. A negative span (bad data) is ignored rather than averaged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class IncidentTimes:
    severity: str
    services: tuple[str, ...]
    started_at: datetime
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass
class Bucket:
    """Sums for one (month, key); ``mean_*`` are seconds or ``None`` when no incident had both stamps."""

    count: int = 0
    sums: dict[str, float] = field(default_factory=lambda: {"tta": 0.0, "ttm": 0.0, "ttr": 0.0})
    ns: dict[str, int] = field(default_factory=lambda: {"tta": 0, "ttm": 0, "ttr": 0})

    def add(self, name: str, seconds: float | None) -> None:
        if seconds is None or seconds < 0:
            return
        self.sums[name] += seconds
        self.ns[name] += 1

    def mean(self, name: str) -> float | None:
        return self.sums[name] / self.ns[name] if self.ns[name] else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "count": self.count,
            "mtta_seconds": self.mean("tta"),
            "mttm_seconds": self.mean("ttm"),
            "mttr_seconds": self.mean("ttr"),
            "n_acknowledged": self.ns["tta"],
            "n_mitigated": self.ns["ttm"],
            "n_resolved": self.ns["ttr"],
        }


def _span(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def month_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def spans(item: IncidentTimes) -> dict[str, float | None]:
    """Time to acknowledge / mitigate / resolve of one incident, in seconds (``None`` when unknown)."""
    return {
        "tta": _span(item.detected_at or item.started_at, item.acknowledged_at),
        "ttm": _span(item.started_at, item.mitigated_at),
        "ttr": _span(item.started_at, item.resolved_at),
    }


def response_metrics(items: Iterable[IncidentTimes]) -> dict[str, dict[str, dict[str, dict[str, float | int | None]]]]:
    """``{"by_severity": {month: {severity: bucket}}, "by_service": {month: {service: bucket}},
    "overall": {month: {"all": bucket}}}``, months ascending; buckets as ``Bucket.as_dict``."""
    tables: dict[str, dict[str, dict[str, Bucket]]] = {
        name: defaultdict(lambda: defaultdict(Bucket)) for name in ("by_severity", "by_service", "overall")
    }
    for item in items:
        month = month_of(item.started_at)
        times = spans(item)
        targets = [tables["by_severity"][month][item.severity], tables["overall"][month]["all"]]
        targets += [tables["by_service"][month][name] for name in sorted(set(item.services))]
        for bucket in targets:
            bucket.count += 1
            for name, seconds in times.items():
                bucket.add(name, seconds)
    return {
        name: {month: {key: b.as_dict() for key, b in sorted(rows.items())} for month, rows in sorted(table.items())}
        for name, table in tables.items()
    }


def month_range(*, end: datetime, months: int) -> list[str]:
    """The ``months`` months ending with ``end``'s month, ascending ("YYYY-MM")."""
    year, month = end.year, end.month
    out = []
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]
