"""HTML pages of the telemetry app: the Logs page (search, histogram, live tail)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from slo.selectors import service_names
from sre.auth.views import RoleRequiredMixin
from sre.errors import SourceUnavailableError
from telemetry import selectors
from telemetry.api.serializers import TelemetryLogSearchQuerySerializer
from telemetry.domain.logs import LEVELS, LogQuery

RANGES = (("15m", "Last 15 minutes", 900), ("1h", "Last hour", 3600), ("6h", "Last 6 hours", 21600),
          ("24h", "Last 24 hours", 86400), ("7d", "Last 7 days", 604800))  # fmt: skip
RANGE_SECONDS = {key: seconds for key, _, seconds in RANGES}
PAGE_SIZE = 50
TAIL_LIMIT = 200


def _service_names(*, now: dt.datetime, chosen: str) -> list[str]:
    """The services to pick from: the declared ones and those with log lines in the last 7 days (and the one
    asked for, so a link with another service still shows it). A store that is down adds none."""
    names = service_names()
    week = LogQuery(start=now - dt.timedelta(days=7), end=now)
    try:
        names.update(key[0] for key in selectors.log_count_by(query=week, by=("service",)) if key and key[0])
    except SourceUnavailableError:
        pass
    if chosen:
        names.add(chosen)
    return sorted(names)


def _viewer_zone(name: str) -> ZoneInfo:
    """The viewer's IANA zone from the form's hidden ``tz`` field; UTC when absent or unknown."""
    try:
        return ZoneInfo(name) if name and len(name) <= 64 else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _with_zone(text: str, zone: ZoneInfo) -> str:
    """A zone-less ``YYYY-MM-DDTHH:MM[:SS]`` as an ISO string with the zone's offset at that moment (left as it
    was when it does not parse: the form's validation then names the field)."""
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=zone).isoformat()
    except ValueError:
        return text


def _parse(request: HttpRequest, now: dt.datetime) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's values, with the time range resolved; errors per field."""
    data = {key: request.GET.get(key, "") for key in ("q", "service", "start", "end", "page", "tz")}
    data["level"] = ",".join(request.GET.getlist("level"))
    data["range"] = request.GET.get("range", "1h")
    custom = bool(data["start"] or data["end"])
    params = {k: v for k, v in data.items() if v and k in ("q", "service", "level", "page")}
    zone = _viewer_zone(request.GET.get("tz", ""))
    for key in ("start", "end"):
        if data[key]:
            # <input type="datetime-local"> has no zone: it is the viewer's (sent by app.js as tz; else UTC).
            params[key] = data[key] if data[key][-1] in "zZ" or "+" in data[key][10:] else _with_zone(data[key], zone)
    form = TelemetryLogSearchQuerySerializer(data=params)
    if not form.is_valid():
        return data, {k: [str(e) for e in v] for k, v in form.errors.items()}
    values = dict(form.validated_data)
    if not custom:
        seconds = RANGE_SECONDS.get(data["range"], 3600)
        values["end"], values["start"] = now, now - dt.timedelta(seconds=seconds)
    else:
        values.setdefault("end", now)
        values.setdefault("start", values["end"] - dt.timedelta(hours=1))
    data.update(values=values, custom=custom)
    return data, {}


def _query(values: dict[str, Any], *, start: dt.datetime | None = None) -> LogQuery:
    return LogQuery(
        q=values.get("q", ""), service=values.get("service", ""), levels=values.get("level", ()),
        start=start or values["start"], end=values["end"],
    )  # fmt: skip


class LogsView(RoleRequiredMixin, View):
    """Search logs: query, service and level filters, time range, histogram by level, newest first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        data, errors = _parse(request, now)
        context: dict[str, Any] = {
            "form": data, "errors": errors, "levels": LEVELS, "ranges": RANGES,
            "services": _service_names(now=now, chosen=data["service"]),
            "selected_levels": request.GET.getlist("level"), "hits": [], "histogram": None, "unavailable": None,
        }  # fmt: skip
        if not errors:
            values = data["values"]
            page = values.get("page", 1)
            try:
                result = selectors.log_search(query=_query(values), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
                counts = selectors.log_count_over_time(query=_query(values))
            except SourceUnavailableError as exc:
                context["unavailable"] = exc.message
            else:
                query = request.GET.copy()
                query["page"] = str(page + 1)
                newer = request.GET.copy()
                newer["page"] = str(page - 1)
                context.update(
                    hits=result.hits,
                    older_url=f"?{query.urlencode()}" if result.has_more else None,
                    newer_url=f"?{newer.urlencode()}" if page > 1 else None,
                    histogram=_histogram(counts),
                    tail_after=result.hits[0].timestamp.isoformat() if result.hits else now.isoformat(),
                    tail_enabled=page == 1 and not data["custom"],
                    tail_query=_tail_query(request),
                )
        return render(request, "telemetry/logs.html", context)


def _tail_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in ("page", "after"):
        query.pop(key, None)
    return query.urlencode()


def _histogram(counts: selectors.LogCounts) -> dict[str, Any]:
    series: dict[str, dict[str, int]] = {}
    for bucket in counts.buckets:
        series.setdefault(bucket.level, {})[bucket.start.isoformat()] = bucket.count
    traces = [
        {"name": level, "x": list(points), "y": list(points.values())}
        for level in LEVELS
        if (points := series.get(level))
    ]
    return {"step": counts.step, "traces": traces, "total": sum(b.count for b in counts.buckets)}


class LogsTailView(RoleRequiredMixin, View):
    """Live tail (htmx polling): lines newer than ``after``, prepended out-of-band, and the next poller."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        data, errors = _parse(request, now)
        after_raw = request.GET.get("after", "")
        try:
            after = dt.datetime.fromisoformat(after_raw)
            if after.tzinfo is None:
                raise ValueError
        except ValueError:
            after = now
        context: dict[str, Any] = {
            "hits": [], "after": after.isoformat(), "tail_query": _tail_query(request), "form": data,
        }  # fmt: skip
        if errors:
            context["unavailable"] = "; ".join(f"{k}: {v[0]}" for k, v in errors.items())
        else:
            start = after + dt.timedelta(microseconds=1)
            try:
                page = selectors.log_search(query=_query(data["values"], start=start), limit=TAIL_LIMIT)
            except SourceUnavailableError as exc:
                context["unavailable"] = exc.message
            else:
                context["hits"] = page.hits
                if page.hits:
                    context["after"] = page.hits[0].timestamp.isoformat()
        return render(request, "telemetry/_tail.html", context)
