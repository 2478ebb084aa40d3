"""Synthetic demo traffic: a pure, deterministic generator (seed + the minutes asked for, no clock reads).

Per demo service and minute it yields request increments ``http_requests_total{service,code}``, latency
histogram increments ``http_request_duration_seconds_bucket{service,le}`` (cumulative buckets, as
Prometheus exposes them) and a few log lines. Every ten-minute block has a small chance of an error
burst (more 5xx, slower requests, error logs), so burn-rate alerts have something to find.

The notifications service also has an email queue (gauge ``queue_depth{service,queue="email"}``) that backs
up for eight minutes of every half hour, with failed deliveries logged as errors and one critical line, so
the demo alert rules (``rules.demo``) fire and resolve on a schedule a newcomer can watch.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

BASE_RATE = {"checkout": 600, "payments-api": 300, "search": 1200, "notifications": 100}
LATENCY_BUCKETS = ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")
NORMAL_SHAPE = (0.55, 0.8, 0.93, 0.97, 0.99, 0.998, 1.0)
BURST_SHAPE = (0.2, 0.4, 0.65, 0.8, 0.9, 0.97, 1.0)
BURST_CHANCE = 0.08
BURST_BLOCK = 600
QUEUE_CYCLE = 1800  # the email queue backs up in minutes [10, 18) of every half hour
QUEUE_BACKLOG = range(10, 18)


@dataclass(frozen=True)
class DemoMinute:
    minute: int  # unix seconds of the minute start
    samples: list[dict] = field(default_factory=list)  # JSON-shaped samples, kind "delta"
    logs: list[dict] = field(default_factory=list)  # JSON-shaped log lines


def in_burst(*, seed: int, service: str, minute: int) -> bool:
    block = minute // BURST_BLOCK
    return random.Random(f"{seed}:{service}:burst:{block}").random() < BURST_CHANCE


def demo_minute(*, seed: int, minute: int, services: list[str]) -> DemoMinute:
    """Traffic of one minute (``minute`` is aligned to 60 s) for ``services``."""
    out = DemoMinute(minute=minute)
    ts = minute + 30
    for service in services:
        rng = random.Random(f"{seed}:{service}:{minute}")
        diurnal = 1 + 0.3 * math.sin(2 * math.pi * (minute % 86400) / 86400)
        requests = max(1, int(BASE_RATE.get(service, 200) * diurnal * rng.uniform(0.85, 1.15)))
        burst = in_burst(seed=seed, service=service, minute=minute)
        error_rate = rng.uniform(0.08, 0.2) if burst else rng.uniform(0.0, 0.003)
        errors = min(requests, round(requests * error_rate))
        for code, count in (("200", requests - errors), ("500", errors)):
            out.samples.append(_sample("http_requests_total", {"service": service, "code": code}, count, ts))
        shape = BURST_SHAPE if burst else NORMAL_SHAPE
        for le, fraction in zip(LATENCY_BUCKETS, shape, strict=True):
            count = requests if le == "+Inf" else int(requests * fraction)
            out.samples.append(
                _sample("http_request_duration_seconds_bucket", {"service": service, "le": le}, count, ts)
            )
        out.samples.append(_sample("http_request_duration_seconds_count", {"service": service}, requests, ts))
        out.logs.append(_log(minute + 5, service, "info", f"served {requests} requests", {"requests": requests}))
        for index in range(min(errors, 5)):
            trace = f"{rng.getrandbits(64):016x}"
            out.logs.append(
                _log(minute + 10 + index, service, "error", "upstream timeout while handling request",
                     {"status": 500, "path": "/api/" + service, "burst": burst}, trace)
            )  # fmt: skip
        if burst:
            out.logs.append(_log(minute + 50, service, "warning", "error rate above 5% for this minute", {}))
        if service == "notifications":
            _email_queue(out, rng, minute)
    return out


def _email_queue(out: DemoMinute, rng: random.Random, minute: int) -> None:
    """The email queue's depth, and during a backlog the failed deliveries and one critical line."""
    phase = (minute % QUEUE_CYCLE) // 60
    backed_up = phase in QUEUE_BACKLOG
    depth = 400 + 150 * (phase - QUEUE_BACKLOG.start) + rng.randint(0, 50) if backed_up else rng.randint(0, 40)
    out.samples.append(
        {"metric": "queue_depth", "labels": {"service": "notifications", "queue": "email"}, "value": depth,
         "timestamp": minute + 30, "kind": "gauge"}
    )  # fmt: skip
    if not backed_up:
        return
    for index in range(6):
        out.logs.append(_log(minute + 20 + index, "notifications", "error", "delivery failed: mailbox unavailable",
                             {"queue": "email", "attempt": index + 1}))  # fmt: skip
    if phase == QUEUE_BACKLOG.start + 2:
        out.logs.append(_log(minute + 40, "notifications", "critical", "SMTP relay refused connection",
                             {"relay": "smtp.demo.internal"}))  # fmt: skip


def demo_minutes(*, seed: int, start: int, end: int, services: list[str]) -> list[DemoMinute]:
    """Every whole minute with start in ``[start, end)``."""
    first = -(-start // 60) * 60
    return [demo_minute(seed=seed, minute=m, services=services) for m in range(first, end, 60)]


def _sample(metric: str, labels: dict, value: int, ts: float) -> dict:
    return {"metric": metric, "labels": labels, "value": value, "timestamp": ts, "kind": "delta"}


def _log(ts: float, service: str, level: str, message: str, attributes: dict, trace_id: str = "") -> dict:
    return {"timestamp": ts, "service": service, "level": level, "message": message, "attributes": attributes,
            "trace_id": trace_id}  # fmt: skip
