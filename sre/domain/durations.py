"""Durations in Prometheus notation (``30s``, ``5m``, ``1h30m``, ``30d``), the one grammar for every field that
takes or shows one: alert routes, rules, heartbeats, SLO windows and their exports. Pure.

For people, ``sre.domain.timewords.duration_words`` says a duration in words ("1 h 30 min")."""

from __future__ import annotations

import re

# Prometheus' units (model.ParseDuration). Input takes them all; output uses days at most, because a window of
# 28 or 30 days reads as "28d" and "30d" in SLO tools, never "4w" or "4w2d".
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}
_FORMAT_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# ASCII digits only ([0-9], not \d: "١٠s" is no duration to Prometheus); "ms" before "m" so "5ms" is not "5m" + "s".
_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
# The whole grammar, anchored, for schemas (OpenAPI ``pattern``) as well as for parsing.
DURATION_PATTERN = r"^(?:0|(?:[0-9]+(?:ms|s|m|h|d|w|y))+)$"
_WHOLE = re.compile(DURATION_PATTERN)


def parse_duration(text: str) -> int:
    """Whole seconds of a duration: ``"30s"`` → 30, ``"1h30m"`` → 5400, ``"2w"`` → 1209600, ``"0"`` → 0.

    Units ``ms s m h d w y`` (a year is 365 days), in any order and repeated (``"30s1m"`` is 90, as the
    Alertmanager configs we read before accepted); a fraction of a second is dropped (``"1500ms"`` → 1): every
    field stores whole seconds. Surrounding spaces are ignored. Raises ``ValueError`` for anything else,
    naming the text."""
    value = str(text).strip()
    if not _WHOLE.fullmatch(value):  # "0" too: Prometheus' one unitless duration
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m or 1h30m")
    return sum(int(number) * _UNIT_MS[unit] for number, unit in _PART.findall(value)) // 1000


def format_duration(seconds: int | None) -> str:
    """``5400`` → ``"1h30m"``, ``2592000`` → ``"30d"``, ``0`` → ``"0s"``, ``None`` → ``""``: the largest units
    first, days at most; ``parse_duration`` reads it back to the same seconds. Raises ``ValueError`` below zero."""
    if seconds is None:
        return ""
    remaining = int(seconds)
    if remaining < 0:
        raise ValueError(f"a duration is never negative, not {seconds}")
    out = ""
    for unit, size in _FORMAT_UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            out += f"{count}{unit}"
    return out or "0s"
