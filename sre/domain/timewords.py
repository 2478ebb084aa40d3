"""Times said in words for people: "4 min ago", "2 h 5 min", "degraded performance". Pure: the clock is an argument."""

from __future__ import annotations

import datetime as dt

_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


def duration_words(seconds: float | None, *, parts: int = 2, tenths_below: float = 0) -> str:
    """``3725`` → ``"1 h 2 min"``: the largest ``parts`` non-zero units, to the nearest second; "—" for unknown,
    "0 s" for none. Below ``tenths_below`` seconds, a tenth of a second: ``tenths_below=10`` says a 0.4 s restore
    or run as ``"0.4 s"``, not ``"0 s"``."""
    if seconds is None:
        return "—"
    tenths = round(abs(seconds), 1)
    if tenths < tenths_below:
        return f"{tenths:.1f} s"
    remaining = round(abs(seconds))
    if remaining == 0:
        return "0 s"
    out: list[str] = []
    for size, unit in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            out.append(f"{count} {unit}")
        elif out:
            break  # "1 h 2 min", never "1 h 0 min 5 s": stop at the first gap after the lead unit
        if len(out) == parts:
            break
    return " ".join(out)


def ago_words(then: dt.datetime | None, *, now: dt.datetime) -> str:
    """``"just now"``, ``"4 min ago"``, ``"2 h 5 min ago"``, ``"in 3 d"`` (a time in the future)."""
    if then is None:
        return "never"
    delta = (now - then).total_seconds()
    if abs(delta) < 45:
        return "just now"
    words = duration_words(abs(delta), parts=1 if abs(delta) >= 86400 * 2 else 2)
    return f"{words} ago" if delta > 0 else f"in {words}"


def enum_words(value: object) -> str:
    """``"degraded_performance"`` → ``"Degraded performance"``; anything else as text, first letter up."""
    text = str(value or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]
