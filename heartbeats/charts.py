"""What the check page charts: run durations and the late and failed pings, oldest first (drawn by
``static/js/heartbeats.js`` from ``json_script``)."""

from __future__ import annotations

from heartbeats.choices import PingKind
from heartbeats.models import Ping

CHART_PINGS = 200


def ping_chart(pings: list[Ping]) -> dict:
    """``{"points": [{"at", "n", "kind", "duration", "late"}], "durations": bool}`` for the success and failure
    pings among ``pings``, by time; start pings are the runs' beginnings, not points."""
    points = [
        {
            "at": ping.at.isoformat(),
            "n": ping.n,
            "kind": ping.kind,
            "duration": ping.duration_seconds,
            "late": ping.late,
        }
        for ping in sorted(pings, key=lambda p: (p.at, p.n))
        if ping.kind != PingKind.START
    ]
    return {"points": points, "durations": any(p["duration"] is not None for p in points)}
