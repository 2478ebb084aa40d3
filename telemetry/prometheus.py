"""Prometheus as a query source (the SLO issue's PromQL SLIs use this), built on prometheus-api-client.

    source = prometheus_source()          # None when PROMETHEUS_URL is not set ("not configured")
    source.instant("sum(rate(x[5m]))", at=now)          -> list[PromSample]
    source.range("up", start=a, end=b, step=60)         -> list[PromSeries]
    prometheus_status()                                  -> PromStatus(configured, ok, error)

Every request has a timeout (``SRE["PROMETHEUS_TIMEOUT"]``) and is sent once: the client's retry
adapter is replaced by ``Retry(total=0)``, so a failing Prometheus is reported, not hammered. Any
failure (connection refused, timeout, HTTP error, a PromQL error, an unreadable answer) raises
``sre.errors.SourceUnavailableError`` with the cause; callers show "source unavailable", never 0.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import requests
from django.conf import settings
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.util.retry import Retry

from sre.errors import SourceUnavailableError


@dataclass(frozen=True)
class PromSample:
    labels: dict[str, str]
    timestamp: float
    value: float


@dataclass(frozen=True)
class PromSeries:
    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class PromStatus:
    configured: bool
    ok: bool
    error: str = ""
    url: str = ""


def _value(raw: object) -> float:
    value = float(raw)  # Prometheus sends numbers as strings, including "NaN" and "+Inf".
    return value


class PrometheusSource:
    """One Prometheus server. Methods raise :class:`SourceUnavailableError` on any failure."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._client = PrometheusConnect(url=self.url, retry=Retry(total=0, raise_on_status=False), timeout=timeout)

    def _fail(self, exc: Exception) -> SourceUnavailableError:
        return SourceUnavailableError(f"Prometheus at {self.url} is unavailable: {type(exc).__name__}: {exc}")

    def instant(self, query: str, *, at: dt.datetime | None = None) -> list[PromSample]:
        """Evaluate ``query`` at ``at`` (default: Prometheus' now). Scalars come back as one unlabeled sample."""
        params = {"time": at.timestamp()} if at else None
        try:
            data = self._client.custom_query(query, params=params, timeout=self.timeout)
        except (PrometheusApiClientException, requests.RequestException, ValueError) as exc:
            raise self._fail(exc) from exc
        try:
            if isinstance(data, list) and len(data) == 2 and not isinstance(data[0], dict):
                return [PromSample({}, float(data[0]), _value(data[1]))]  # scalar
            return [PromSample(dict(r.get("metric", {})), float(r["value"][0]), _value(r["value"][1])) for r in data]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise self._fail(exc) from exc

    def range(self, query: str, *, start: dt.datetime, end: dt.datetime, step: int) -> list[PromSeries]:
        """Evaluate ``query`` over ``[start, end]`` every ``step`` seconds."""
        try:
            data = self._client.custom_query_range(
                query, start_time=start, end_time=end, step=str(int(step)), timeout=self.timeout
            )
        except (PrometheusApiClientException, requests.RequestException, ValueError) as exc:
            raise self._fail(exc) from exc
        try:
            return [
                PromSeries(dict(r.get("metric", {})), [(float(t), _value(v)) for t, v in r["values"]]) for r in data
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._fail(exc) from exc

    def check(self) -> PromStatus:
        try:
            ok = self.instant("vector(1)")
            healthy = len(ok) == 1 and not math.isnan(ok[0].value)
            return PromStatus(configured=True, ok=healthy, url=self.url, error="" if healthy else "unexpected answer")
        except SourceUnavailableError as exc:
            return PromStatus(configured=True, ok=False, error=exc.message, url=self.url)


def prometheus_source(url: str | None = None) -> PrometheusSource | None:
    """The configured source (``PROMETHEUS_URL``), or None when Prometheus is not configured."""
    url = url or settings.PROMETHEUS_URL
    if not url:
        return None
    return PrometheusSource(url, timeout=settings.SRE["PROMETHEUS_TIMEOUT"])


def prometheus_status() -> PromStatus:
    source = prometheus_source()
    if source is None:
        return PromStatus(configured=False, ok=False, error="PROMETHEUS_URL is not set")
    return source.check()
