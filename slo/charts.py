"""What the SLO pages show: chart data, sparklines and the explanation of every number."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from slo.domain.exact import decimal_str, exact
from slo.domain.spec import policy_validate
from slo.domain.windows import BURN_WINDOWS, format_duration
from slo.models import SLO, Service
from slo.selectors import service_incidents, slo_firing_alerts
from slo.selectors.series import slo_hourly_counts


def sparkline_points(values: list[float | None], *, width: int = 120, height: int = 28) -> str:
    """SVG polyline points for the values (None skipped), scaled to the box; "" with fewer than 2."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(pts) < 2:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span = (hi - lo) or 1.0
    n = max(1, len(values) - 1)
    return " ".join(f"{i * width / n:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in pts)


def _pct(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "never at the current rate"
    seconds = int(seconds)
    if seconds <= 0:
        return "exhausted"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h" if days else f"{hours}h {rest // 60}m"


def explanation(slo: SLO, result) -> list[dict]:
    """One entry per number on the page: what it is, the formula, and the formula with our values."""
    doc = result.document
    target = exact(slo.target)
    b = doc["error_budget"]
    window = format_duration(doc["window"]["seconds"])
    total = _num(b["total_events"])
    unit = "minutes" if slo.budgeting_method == "Timeslices" else "events"
    out = [
        {
            "name": "SLI",
            "value": _pct(doc["sli"]),
            "formula": f"good {unit} / all {unit} over the window ({window})",
            "worked": f"({total} − {_num(b['bad'])}) / {total} = {_pct(doc['sli'], 5)}",
        },
        {
            "name": "Target",
            "value": _pct(float(target)),
            "formula": "the objective: share of good " + unit,
            "worked": f"error budget = 1 − target = {decimal_str(1 - target)}",
        },
        {
            "name": "Allowed bad " + unit,
            "value": _num(b["allowed_bad"]),
            "formula": "(1 − target) × all " + unit,
            "worked": f"{decimal_str(1 - target)} × {_num(b['total_events'])} = {_num(b['allowed_bad'])}",
        },
        {
            "name": "Budget consumed",
            "value": _pct(b["consumed_ratio"], 1),
            "formula": "bad / allowed bad",
            "worked": f"{_num(b['bad'])} / {_num(b['allowed_bad'])} = {_pct(b['consumed_ratio'], 2)}",
        },
        {
            "name": "Budget remaining",
            "value": _pct(b["remaining_ratio"], 1),
            "formula": "1 − consumed (negative = overspent)",
            "worked": f"1 − {_pct(b['consumed_ratio'], 2)} = {_pct(b['remaining_ratio'], 2)}",
        },
        {
            "name": "Burn rate",
            "value": ", ".join(f"{k} {_num(v)}×" for k, v in doc["burn_rates"].items() if v is not None) or "n/a",
            "formula": "(bad / all over the window) / (1 − target): 1× spends the budget exactly over the SLO window",
            "worked": f"1h: {_num(doc['burn_rates'].get('1h'))}×; the SLO window's burn rate equals budget consumed",
        },
        {
            "name": "Time to exhaustion",
            "value": _duration(doc["time_to_exhaustion_seconds"]),
            "formula": "remaining × window length / burn rate over the last hour",
            "worked": f"{_pct(b['remaining_ratio'], 2)} × {window} / {_num(doc['burn_rates'].get('1h'))}",
        },
    ]
    if doc["data_state"] != "ok":
        out.insert(
            0,
            {
                "name": "Data",
                "value": doc["data_state"].replace("_", " "),
                "formula": "no traffic in the window is “no data”: never 100% and never 0%",
                "worked": doc["error"] or "no events were counted in the window",
            },
        )
    return out


def detail_charts(slo: SLO, result, *, now: dt.datetime) -> dict:
    """Data for the three plotly charts: hourly SLI, budget burn-down over the window, burn rates."""
    doc = result.document
    target = float(exact(slo.target))
    seconds = doc["window"]["seconds"]
    start = now - dt.timedelta(seconds=seconds)
    hourly, error = slo_hourly_counts(slo=slo, start=start, end=now)
    hours = sorted(hourly)
    sli_x = [dt.datetime.fromtimestamp(h, tz=dt.UTC).isoformat() for h in hours]
    sli_y = [float(Fraction(c.good) / Fraction(c.total)) for c in (hourly[h] for h in hours)]
    total = sum((Fraction(c.total) for c in hourly.values()), Fraction(0))
    allowed = (1 - exact(slo.target)) * total
    burndown_x, remaining, ideal, spent = [], [], [], Fraction(0)
    for h in hours:
        spent += Fraction(hourly[h].bad)
        burndown_x.append(dt.datetime.fromtimestamp(h + 3600, tz=dt.UTC).isoformat())
        remaining.append(float(1 - spent / allowed) if allowed else None)
        ideal.append(max(0.0, 1 - (h + 3600 - start.timestamp()) / seconds))
    thresholds = [
        {
            "name": c.name,
            "severity": c.severity,
            "factor": float(c.factor),
            "long": format_duration(c.long_window),
            "short": format_duration(c.short_window),
        }
        for c in policy_validate(slo.alert_policy)
    ]
    names = [*BURN_WINDOWS, "slo"]
    return {
        "error": error,
        "target": target,
        "sli": {"x": sli_x, "y": sli_y},
        "burndown": {"x": burndown_x, "remaining": remaining, "ideal": ideal},
        "burn": {
            "windows": [n if n != "slo" else f"SLO ({format_duration(seconds)})" for n in names],
            "rates": [doc["burn_rates"].get(n) for n in names],
            "thresholds": thresholds,
        },
    }


def firing_alerts(slo: SLO) -> list:
    return slo_firing_alerts(slo)


def related_incidents(slo: SLO) -> list:
    return service_incidents(slo.service)


def service_incidents_of(service: Service) -> list:
    return service_incidents(service)
