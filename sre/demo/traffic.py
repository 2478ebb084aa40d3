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

import functools
import math
import random
import zlib
from dataclasses import dataclass, field

BASE_RATE = {"checkout": 600, "payments-api": 300, "search": 1200, "notifications": 100}
LATENCY_BUCKETS = ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")
NORMAL_SHAPE = (0.55, 0.8, 0.93, 0.97, 0.99, 0.998, 1.0)
BURST_SHAPE = (0.2, 0.4, 0.65, 0.8, 0.9, 0.97, 1.0)
BURST_CHANCE = 0.006  # about one ten-minute burst a day per service
BURST_BLOCK = 600
QUEUE_CYCLE = 1800  # the email queue backs up in minutes [10, 18) of every half hour
QUEUE_BACKLOG = range(10, 18)


@dataclass(frozen=True)
class DemoMinute:
    minute: int  # unix seconds of the minute start
    samples: list[dict] = field(default_factory=list)  # JSON-shaped samples, kind "delta"
    logs: list[dict] = field(default_factory=list)  # JSON-shaped log lines


_MASK = (1 << 64) - 1
_STREAMS = {"jitter": 1, "errors": 2, "burst": 3, "queue": 4}


def _unit(seed: int, name: str, stream: str, number: int) -> float:
    """A deterministic uniform number in [0, 1) for (seed, name, stream, number): the splitmix64 finaliser
    over the mixed inputs. About 20x cheaper than seeding a ``random.Random`` per call, which the 30-day
    backfill would do ~400,000 times."""
    x = (seed * 0x9E3779B97F4A7C15 + _name_hash(name) * 0xD1B54A32D192ED03) & _MASK
    x = (x + _STREAMS[stream] * 0x8CB92BA72F3D8DD7 + number * 0xA24BAED4963EE407) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return (x ^ (x >> 31)) / 18446744073709551616.0


@functools.cache
def _name_hash(name: str) -> int:
    return zlib.crc32(name.encode())


def in_burst(*, seed: int, service: str, minute: int) -> bool:
    return _unit(seed, service, "burst", minute // BURST_BLOCK) < BURST_CHANCE


@dataclass(frozen=True)
class Outage:
    """A past incident in the demo history: ``service`` answers ``error_rate`` of its requests with 5xx
    (and slowly) for minutes in ``[start, end)`` (unix seconds)."""

    service: str
    start: int
    end: int
    error_rate: float = 0.25


@dataclass(frozen=True)
class ServiceMinute:
    """The numbers of one service in one minute; ``rng`` continues the minute's random stream (logs)."""

    requests: int
    errors: int
    burst: bool
    buckets: tuple[int, ...]  # cumulative, one per LATENCY_BUCKETS


def service_minute(*, seed: int, service: str, minute: int, outages: tuple[Outage, ...] = ()) -> ServiceMinute:
    """Requests, errors and latency buckets of ``service`` in ``minute`` (deterministic in its arguments)."""
    diurnal = 1 + 0.3 * math.sin(2 * math.pi * (minute % 86400) / 86400)
    jitter = 0.85 + 0.3 * _unit(seed, service, "jitter", minute)
    requests = max(1, int(BASE_RATE.get(service, 200) * diurnal * jitter))
    burst = in_burst(seed=seed, service=service, minute=minute)
    draw = _unit(seed, service, "errors", minute)
    error_rate = 0.02 + 0.04 * draw if burst else 0.0006 * draw
    for outage in outages:
        if outage.service == service and outage.start <= minute < outage.end:
            burst, error_rate = True, max(error_rate, outage.error_rate)
    errors = min(requests, round(requests * error_rate))
    shape = BURST_SHAPE if burst else NORMAL_SHAPE
    buckets = (*(int(requests * fraction) for fraction in shape[:-1]), requests)  # the last one is +Inf
    return ServiceMinute(requests=requests, errors=errors, burst=burst, buckets=buckets)


def queue_depth(*, seed: int, minute: int) -> tuple[int, int, bool]:
    """(phase in the half hour, depth, backed up) of the notifications email queue."""
    draw = _unit(seed, "notifications", "queue", minute)
    phase = (minute % QUEUE_CYCLE) // 60
    backed_up = phase in QUEUE_BACKLOG
    depth = 400 + 150 * (phase - QUEUE_BACKLOG.start) + int(draw * 51) if backed_up else int(draw * 41)
    return phase, depth, backed_up


def demo_minute(*, seed: int, minute: int, services: list[str], outages: tuple[Outage, ...] = ()) -> DemoMinute:
    """Traffic of one minute (``minute`` is aligned to 60 s) for ``services``."""
    out = DemoMinute(minute=minute)
    ts = minute + 30
    for service in services:
        numbers = service_minute(seed=seed, service=service, minute=minute, outages=outages)
        requests, errors, burst = numbers.requests, numbers.errors, numbers.burst
        rng = random.Random(f"{seed}:{service}:{minute}")  # trace ids of the log lines
        for code, count in (("200", requests - errors), ("500", errors)):
            out.samples.append(_sample("http_requests_total", {"service": service, "code": code}, count, ts))
        for le, count in zip(LATENCY_BUCKETS, numbers.buckets, strict=True):
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
            _email_queue(out, seed, minute)
    return out


def minute_values(*, seed: int, minute: int, services: list[str], outages: tuple[Outage, ...] = ()) -> list[int]:
    """The values of ``demo_minute(...).samples`` in the same order, without building the samples (the
    30-day backfill computes ~1.8 million of them)."""
    values: list[int] = []
    for service in services:
        n = service_minute(seed=seed, service=service, minute=minute, outages=outages)
        values += (n.requests - n.errors, n.errors, *n.buckets, n.requests)
        if service == "notifications":
            values.append(queue_depth(seed=seed, minute=minute)[1])
    return values


def _email_queue(out: DemoMinute, seed: int, minute: int) -> None:
    """The email queue's depth, and during a backlog the failed deliveries and one critical line."""
    phase, depth, backed_up = queue_depth(seed=seed, minute=minute)
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


def demo_minutes(
    *, seed: int, start: int, end: int, services: list[str], outages: tuple[Outage, ...] = ()
) -> list[DemoMinute]:
    """Every whole minute with start in ``[start, end)``."""
    first = -(-start // 60) * 60
    return [demo_minute(seed=seed, minute=m, services=services, outages=outages) for m in range(first, end, 60)]


def _sample(metric: str, labels: dict, value: int, ts: float) -> dict:
    return {"metric": metric, "labels": labels, "value": value, "timestamp": ts, "kind": "delta"}


def _log(ts: float, service: str, level: str, message: str, attributes: dict, trace_id: str = "") -> dict:
    return {"timestamp": ts, "service": service, "level": level, "message": message, "attributes": attributes,
            "trace_id": trace_id}  # fmt: skip
