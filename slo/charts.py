"""What the SLO pages show: chart data, sparklines and the explanation of every number."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from django.urls import reverse

from slo.domain.budget import exhaustion_words
from slo.domain.exact import decimal_str, exact
from slo.domain.spec import policy_validate
from slo.domain.windows import BURN_WINDOWS
from slo.models import SLO
from slo.selectors.series import ChartCounts
from sre.domain.durations import format_duration

# Range buttons of the detail page: length and bucket (seconds). Minute buckets for the short ranges, coarser
# ones for long ranges so that a 30-day chart reads 180 grouped rows per series instead of 43,200 minutes.
RANGES: dict[str, tuple[int, int]] = {
    "1h": (3600, 60),
    "6h": (6 * 3600, 300),
    "1d": (86400, 900),
    "7d": (7 * 86400, 3600),
    "30d": (30 * 86400, 4 * 3600),
}
RANGE_DEFAULT = "1d"
RANGE_LABELS = {"1h": "1 hour", "6h": "6 hours", "1d": "1 day", "7d": "7 days", "30d": "30 days"}
BURN_PLOT_PX = 220  # plot height of the burn-rate chart (chart-280 less margins): threshold labels keep apart
LABEL_GAP_PX = 14


def range_key(value: str | None) -> str:
    """The range asked for (``?range=``), or the default for anything else."""
    return value if value in RANGES else RANGE_DEFAULT


def sparkline_path(
    points: list[tuple[float, float | None]], *, start: float, end: float, width: int = 120, height: int = 28
) -> str:
    """SVG polyline points for ``(time, value)`` pairs placed by time between ``start`` and ``end`` (None skipped);
    "" with fewer than 2 values. The vertical scale spans the values (a flat line sits in the middle)."""
    pts = [(t, v) for t, v in points if v is not None and start <= t <= end]
    if len(pts) < 2:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span, dx = (hi - lo), (end - start) or 1.0

    def y(v: float) -> float:
        return height / 2 if not span else height - 2 - (v - lo) / span * (height - 4)

    out = [f"{(t - start) * width / dx:.1f},{y(v):.1f}" for t, v in pts]
    kept = [p for i, p in enumerate(out) if i == 0 or p != out[i - 1]]
    return " ".join(kept) if len(kept) > 1 else ""


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
            "value": exhaustion_words(doc["time_to_exhaustion_seconds"]),
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


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat()


def burn_axis(*, rates: list[float | None], factors: list[float]) -> tuple[float, list[float]]:
    """The burn-rate chart's y maximum (covers every bar and every threshold, with room above) and the y of each
    threshold's label (in ``factors`` order), pushed apart so that no two labels are closer than
    ``LABEL_GAP_PX`` on a plot ``BURN_PLOT_PX`` high. Labels sit in the right margin, beside the bars."""
    top = max([r for r in rates if r is not None] + factors + [1.0])
    y_max = top * 1.15
    for _ in range(3):  # pushed labels may need a taller axis, which shrinks the gap in data units
        gap = LABEL_GAP_PX * y_max / BURN_PLOT_PX
        order = sorted(range(len(factors)), key=lambda i: factors[i])
        label_y, last = [0.0] * len(factors), None
        for i in order:
            y = factors[i] if last is None else max(factors[i], last + gap)
            label_y[i] = last = y
        needed = (last + gap) if last is not None else y_max
        if needed <= y_max:
            break
        y_max = needed
    return y_max, label_y


def detail_charts(slo: SLO, result, *, now: dt.datetime, counts: ChartCounts, range_name: str = RANGE_DEFAULT) -> dict:
    """Data for the plotly charts of the detail page over the chosen range (``RANGES``), from ``counts``
    (``slo.selectors.series.slo_chart_counts``: read there, computed here; no query in this module):

    * ``sli``: good/all per bucket, at the bucket's end (the current bucket at ``now``: never a future point);
    * ``burndown``: the current SLO window's budget left after each bucket (the bad events before the range
      are counted once), and the steady spend line; it ends at ``now``;
    * ``events``: good and bad events (Timeslices: minutes) per bucket, as Pyrra's requests and errors graphs;
    * ``burn``: burn rate per window with the policy's thresholds, the y range and the threshold labels' y."""
    doc = result.document
    timeslices = slo.budgeting_method == "Timeslices"
    length = RANGES[range_key(range_name)][0]
    buckets, step, error = counts.buckets, counts.step, counts.error
    (s, e), first = counts.span, counts.first
    target = float(exact(slo.target))
    now_ts = now.timestamp()
    seconds = doc["window"]["seconds"]
    window_start = now_ts - seconds
    sli_x, sli_y, good, bad = [], [], [], []
    for b in sorted(buckets):
        c = buckets[b]
        sli_x.append(_iso(min(b + step, now_ts)))
        sli_y.append(float(Fraction(c.good) / Fraction(c.total)))
        good.append(float(c.good))
        bad.append(float(c.bad))
    allowed = doc["error_budget"]["allowed_bad"]
    burndown_x, remaining, ideal = [], [], []
    if allowed and not error:
        spent = counts.bad_before
        budget = Fraction(allowed)
        points = [(max(first, window_start), spent)]
        for b in range(first, e, step):
            if b in buckets:
                spent += Fraction(buckets[b].bad)
            points.append((min(b + step, now_ts), spent))
        for x, used in points:
            burndown_x.append(_iso(x))
            remaining.append(float(1 - used / budget))
            ideal.append(max(0.0, 1 - (x - window_start) / seconds))
    conditions = policy_validate(slo.alert_policy)
    names = [*BURN_WINDOWS, "slo"]
    rates = [doc["burn_rates"].get(n) for n in names]
    y_max, label_y = burn_axis(rates=rates, factors=[float(c.factor) for c in conditions])
    thresholds = [
        {
            "name": c.name,
            "severity": c.severity,
            "factor": float(c.factor),
            "label": f"{decimal_str(c.factor)}× {c.severity}",
            "label_y": label_y[i],
            "long": format_duration(c.long_window),
            "short": format_duration(c.short_window),
        }
        for i, c in enumerate(conditions)
    ]
    return {
        "error": error,
        "target": target,
        "range": {
            "name": range_key(range_name),
            "start": _iso(max(s, now_ts - length)),
            "end": _iso(now_ts),
            "step": step,
        },
        "sli": {"x": sli_x, "y": sli_y},
        "events": {"x": sli_x, "good": good, "bad": bad, "unit": "minutes" if timeslices else "events"},
        "burndown": {"x": burndown_x, "remaining": remaining, "ideal": ideal},
        "burn": {
            "windows": [n if n != "slo" else f"SLO ({format_duration(seconds)})" for n in names],
            "rates": rates,
            "thresholds": thresholds,
            "y_max": y_max,
        },
    }


def incident_markers(incidents: list, *, now: dt.datetime) -> list[dict]:
    """Incidents naming the service, as spans on the time charts: start, end (now while open), hover text."""
    out = []
    for i in incidents:
        end = i.resolved_at or now
        out.append(
            {
                "x0": i.started_at.isoformat(),
                "x1": min(end, now).isoformat(),
                "title": f"#{i.pk} {i.title}",
                "text": f"#{i.pk} {i.title} ({i.get_severity_display()}, {i.get_status_display().lower()})",
                "href": reverse("incidents:detail", args=[i.pk]),
                "open": i.resolved_at is None,
            }
        )
    return out


def policy_rows(doc: dict, alerts: dict) -> list[dict]:
    """The policy table in words: for each condition, whether it holds (the SLO's evaluation: both windows above
    the threshold) and, separately, what its burn alert in the alerts app is (firing, resolved by hand, resolved,
    none). An alert resolved by hand is not firing even while its condition still holds."""
    rows = []
    for c in doc.get("conditions", []):
        if c.get("data_state") == "no_data" or doc.get("data_state") != "ok":
            condition, tone = "no data", ""
        elif c.get("firing"):
            condition, tone = "condition holds", "bad"
        else:
            condition, tone = "condition does not hold", "ok"
        alert = alerts.get((c["severity"], c["long_window"], c["short_window"]))
        if alert is None:
            state, alert_tone = "no alert", ""
        elif alert.status == "firing":
            state, alert_tone = "alert firing", "bad"
        elif alert.resolved_by:
            state, alert_tone = f"alert resolved by hand ({alert.resolved_by})", "warn"
        else:
            state, alert_tone = "alert resolved", ""
        rows.append({**c, "condition": condition, "tone": tone, "alert": alert, "alert_state": state,
                     "alert_tone": alert_tone})  # fmt: skip
    return rows
