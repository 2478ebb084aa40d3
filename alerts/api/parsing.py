"""Intake payloads (Alertmanager webhook v4, generic JSON) to ``AlertInput``; every error is a clear 4xx.

Whole payloads are validated before anything is stored, so a bad alert in a batch stores nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from alerts.services.intake import AlertInput
from sre.api.exceptions import PayloadTooLarge
from sre.errors import InvalidInputError

_FINGERPRINT = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
AM_KEYS = {"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels"}
AM_KEYS |= {"commonAnnotations", "externalURL", "alerts"}


def _bad(message: str, field: str) -> InvalidInputError:
    return InvalidInputError(message, fields={field: [message]})


def parse_time(value: Any, field: str) -> datetime | None:
    """RFC 3339 (nanoseconds allowed); Go's zero time ``0001-01-01T00:00:00Z`` and empty mean unset."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _bad("Must be an RFC 3339 timestamp string.", field)
    text = value.strip()
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        raise _bad(f"Not an RFC 3339 timestamp: {value[:40]!r}.", field)
    base, fraction, zone = match.groups()
    fraction = (fraction or "")[:7]
    try:
        parsed = datetime.fromisoformat(base + fraction + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        raise _bad(f"Not a valid date/time: {value[:40]!r}.", field) from None
    if parsed.year <= 1:
        return None
    return parsed.astimezone(UTC)


def _string_map(value: Any, field: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise _bad("Must be an object mapping names to strings.", field)
    if required and not value:
        raise _bad("At least one label is required.", field)
    for name, item in value.items():
        if not isinstance(item, str):
            raise _bad(f"Value of {name!r} must be a string, not {type(item).__name__}.", f"{field}.{name}")
        if len(item) > 10_000:
            raise _bad(f"Value of {name!r} is too long (over 10,000 characters).", f"{field}.{name}")
    return value


def _check_count(alerts: Any, field: str = "alerts") -> list:
    if not isinstance(alerts, list):
        raise _bad("Must be a list of alerts.", field)
    if not alerts:
        raise _bad("At least one alert is required.", field)
    limit = settings.SRE.get("ALERTS_MAX_BATCH", 1000)
    if len(alerts) > limit:
        raise PayloadTooLarge(f"{len(alerts)} alerts in one request; at most {limit} are accepted (split the batch).")
    return alerts


def _one(raw: Any, where: str, *, generic: bool) -> AlertInput:
    if not isinstance(raw, dict):
        raise _bad("Each alert must be an object.", where)
    allowed = (
        {"labels", "annotations", "status", "starts_at", "ends_at", "fingerprint", "generator_url"}
        if generic
        else {"labels", "annotations", "status", "startsAt", "endsAt", "fingerprint", "generatorURL"}
    )
    unknown = sorted(set(raw) - allowed)
    if unknown and generic:
        raise InvalidInputError(
            f"Unknown field(s): {', '.join(unknown)}.", fields={f"{where}.{n}": ["Unknown field."] for n in unknown}
        )
    labels = _string_map(raw.get("labels"), f"{where}.labels", required=True)
    annotations = _string_map(raw.get("annotations"), f"{where}.annotations", required=False)
    status = raw.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise _bad(f"Unknown status {str(status)[:20]!r}; expected firing or resolved.", f"{where}.status")
    starts = parse_time(
        raw.get("starts_at" if generic else "startsAt"), f"{where}.{'starts_at' if generic else 'startsAt'}"
    )
    ends = parse_time(raw.get("ends_at" if generic else "endsAt"), f"{where}.{'ends_at' if generic else 'endsAt'}")
    url = raw.get("generator_url" if generic else "generatorURL") or ""
    if not isinstance(url, str) or len(url) > 2000:
        raise _bad("Must be a URL string (at most 2,000 characters).", f"{where}.generator_url")
    fingerprint = raw.get("fingerprint") or ""
    if not generic:
        fingerprint = ""  # Our fingerprint is the hash of the label set, whatever the sender computed.
    elif fingerprint and (not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint)):
        raise _bad("Fingerprint must be 1-64 letters, digits, '_', '.', ':' or '-'.", f"{where}.fingerprint")
    if status == "firing" and ends and starts and ends < starts:
        raise _bad("ends_at is before starts_at.", f"{where}.ends_at")
    return AlertInput(
        labels=dict(labels),
        annotations=dict(annotations),
        status=status,
        starts_at=starts,
        ends_at=ends if status == "resolved" else None,
        generator_url=url,
        fingerprint=fingerprint,
    )


def parse_alertmanager(body: Any) -> list[AlertInput]:
    """An Alertmanager webhook (``version: "4"``): firing and resolved alerts of one notification."""
    if not isinstance(body, dict):
        raise _bad("Expected an Alertmanager webhook object.", "non_field_errors")
    version = body.get("version")
    if version != "4":
        raise _bad(f'Unsupported webhook version {str(version)[:10]!r}; this endpoint accepts version "4".', "version")
    alerts = _check_count(body.get("alerts"))
    return [_one(raw, f"alerts[{index}]", generic=False) for index, raw in enumerate(alerts)]


def parse_generic(body: Any) -> list[AlertInput]:
    """Generic JSON: one alert object, a list of them, or ``{"alerts": [...]}``."""
    if isinstance(body, dict) and "alerts" in body and "labels" not in body:
        if set(body) - {"alerts"}:
            raise _bad("With an 'alerts' list, no other top-level fields are allowed.", "non_field_errors")
        items = _check_count(body["alerts"])
        return [_one(raw, f"alerts[{index}]", generic=True) for index, raw in enumerate(items)]
    if isinstance(body, list):
        items = _check_count(body, "non_field_errors")
        return [_one(raw, f"[{index}]", generic=True) for index, raw in enumerate(items)]
    return [_one(body, "alert", generic=True)]
