"""Reading a whole number typed in a URL (an id, a count): pure, no Django."""

from __future__ import annotations


def parse_id(text: str | None, *, max_digits: int = 11) -> int | None:
    """``text`` as a positive whole number, or ``None`` for anything else. Only ASCII digits count:
    ``str.isdigit`` also accepts "²" or "٣", which ``int()`` then refuses or reads as another number; and at
    most ``max_digits`` of them, so the value fits a database integer."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > max_digits:
        return None
    value = int(text)
    return value or None
