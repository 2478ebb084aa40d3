"""The ``LogStore`` interface and the configured backend.

Backends: ``database`` (default: the ``LogEntry`` table; full-text search with PostgreSQL ``tsvector``/GIN
or SQLite FTS5) and ``elasticsearch`` (daily indices ``sre-logs-YYYY.MM.DD`` behind an index template),
chosen by ``settings.SRE["LOG_STORE"]`` (``elasticsearch`` needs ``ELASTICSEARCH_URL``).
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings

from telemetry.domain.logs import LogQuery, LogRecord


@dataclass(frozen=True)
class LogHit:
    id: str
    timestamp: dt.datetime
    service: str
    level: str
    message: str
    attributes: dict = field(default_factory=dict)
    trace_id: str = ""


@dataclass(frozen=True)
class LogPage:
    hits: list[LogHit]
    has_more: bool


@dataclass(frozen=True)
class LogWriteOutcome:
    duplicate: bool
    accepted: int


@dataclass(frozen=True)
class LogBucket:
    start: dt.datetime
    level: str
    count: int


COUNT_LABELS = ("service", "level")  # what ``count_by`` can group by


def check_count_by(by: tuple[str, ...]) -> tuple[str, ...]:
    """``by`` as a tuple, or ``ValueError`` naming a label that is not one of ``COUNT_LABELS`` or is repeated."""
    by = tuple(by)
    for label in by:
        if label not in COUNT_LABELS:
            raise ValueError(f"cannot count log lines by {label!r}: one of {', '.join(COUNT_LABELS)}")
    if len(set(by)) != len(by):
        raise ValueError(f"a label is repeated in {by!r}")
    return by


class LogStore(abc.ABC):
    """Where log lines live. Every method raises ``sre.errors.SourceUnavailableError`` when the backend
    cannot answer (never returns an empty result for an outage)."""

    name: str = ""

    @abc.abstractmethod
    def write(self, records: list[LogRecord], *, scope: str, batch_id: str | None, now: dt.datetime) -> LogWriteOutcome:
        """Store all records or none; a ``batch_id`` already stored for ``scope`` changes nothing."""

    @abc.abstractmethod
    def search(self, query: LogQuery, *, offset: int, limit: int) -> LogPage:
        """Matching lines, newest first."""

    @abc.abstractmethod
    def count_over_time(self, query: LogQuery, *, step: int) -> list[LogBucket]:
        """Counts of matching lines per ``step``-second bucket (aligned to the unix epoch) and level."""

    @abc.abstractmethod
    def count_by(self, query: LogQuery, *, by: tuple[str, ...]) -> dict[tuple[str, ...], int]:
        """Matching lines per group: keys are the values of the ``by`` labels (among ``COUNT_LABELS``), in the
        order of ``by``. Groups with no line are absent; ``by=()`` gives the one key ``()`` with the total
        (0 included). One request to the backend."""

    @abc.abstractmethod
    def delete_before(self, cutoff: dt.datetime, *, batch_size: int, max_batches: int) -> int:
        """Delete lines older than ``cutoff`` in bounded batches; returns how many were deleted."""


def get_log_store() -> LogStore:
    if settings.SRE.get("LOG_STORE") == "elasticsearch" and settings.ELASTICSEARCH_URL:
        # cycle: telemetry.logstore.elasticsearch imports telemetry.logstore (LogStore); lazy too: the
        # elasticsearch client loads only where it is configured
        from telemetry.logstore.elasticsearch import ElasticsearchLogStore

        return ElasticsearchLogStore.from_settings()
    from telemetry.logstore.database import DatabaseLogStore  # cycle: it imports telemetry.logstore (LogStore)

    return DatabaseLogStore()
