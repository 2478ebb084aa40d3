"""One typed reader for the environment.

Every setting the control plane reads from the process environment goes through ``Env``. A value that is
missing (when required) or malformed raises ``EnvError`` naming the variable and the expected form, so
start-up stops with a message an operator can act on instead of a traceback deep inside Django.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


class EnvError(ImproperlyConfigured):
    """A required environment variable is missing or has the wrong form."""

    def __init__(self, name: str, expected: str, got: str | None = None) -> None:
        self.name = name
        self.expected = expected
        detail = "is not set" if got is None else f"is {got!r}"
        super().__init__(f"Environment variable {name} {detail}; expected {expected}.")


class Env:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def str(self, name: str, default: object = _MISSING, *, expected: str = "a non-empty string") -> str:
        value = self._raw(name)
        if value is None:
            if default is _MISSING:
                raise EnvError(name, expected)
            return default  # type: ignore[return-value]
        return value

    def optional_str(self, name: str) -> str | None:
        return self._raw(name)

    def bool(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise EnvError(name, "one of true/false, 1/0, yes/no, on/off", value)

    def int(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self._raw(name)
        if value is None:
            return default
        bounds = _bounds_text(minimum, maximum)
        try:
            number = int(value)
        except ValueError:
            raise EnvError(name, f"a whole number{bounds}", value) from None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise EnvError(name, f"a whole number{bounds}", value)
        return number

    def float(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self._raw(name)
        if value is None:
            return default
        bounds = _bounds_text(minimum, None)
        try:
            number = float(value)
        except ValueError:
            raise EnvError(name, f"a number{bounds}", value) from None
        if minimum is not None and number < minimum:
            raise EnvError(name, f"a number{bounds}", value)
        return number

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def int_map(self, name: str) -> dict[str, int]:
        """``key=number,key=number`` (e.g. per-metric limits); empty when unset."""
        expected = "comma-separated name=number pairs such as http_requests_total=50000"
        result: dict[str, int] = {}
        for item in self.list(name, []):
            key, sep, number = item.partition("=")
            if not sep or not key.strip() or not number.strip().isdigit():
                raise EnvError(name, expected, self._raw(name))
            result[key.strip()] = int(number)
        return result

    def str_map(self, name: str, *, values: tuple[str, ...] | None = None) -> dict[str, str]:
        """``key=value,key=value`` (e.g. IdP group to role); empty when unset.

        Pairs are separated by ``;`` when the value holds one (so keys may contain commas, as LDAP group DNs
        do), else by ``,``; a key may contain ``=`` (the last one separates the value). ``values`` restricts
        what may stand right of ``=``.
        """
        raw = self._raw(name)
        if raw is None:
            return {}
        allowed = f" with values from {', '.join(values)}" if values else ""
        expected = f"name=value pairs separated by commas (or semicolons), such as team-a=admin{allowed}"
        result: dict[str, str] = {}
        for item in raw.split(";" if ";" in raw else ","):
            if not item.strip():
                continue
            key, sep, value = item.rpartition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value or (values is not None and value not in values):
                raise EnvError(name, expected, raw)
            result[key] = value
        return result

    def url(self, name: str, *, schemes: tuple[str, ...], default: str | None = None) -> str | None:
        """A URL whose scheme is one of ``schemes``; ``None`` when unset and no default."""
        value = self._raw(name)
        if value is None:
            return default
        parts = urlsplit(value)
        expected = f"a URL starting with {' or '.join(s + '://' for s in schemes)}"
        if parts.scheme not in schemes:
            raise EnvError(name, expected, value)
        if (
            parts.scheme in ("http", "https", "redis", "rediss", "amqp", "amqps", "smtp", "smtps")
            and not parts.hostname
        ):
            raise EnvError(name, f"{expected} with a host name", value)
        return value

    def timezone(self, name: str, default: str) -> str:
        value = self._raw(name) or default
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise EnvError(name, "an IANA time zone name such as UTC or Europe/Berlin", value) from None
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._raw(name) or default
        if value not in choices:
            raise EnvError(name, "one of " + ", ".join(choices), value)
        return value


def _bounds_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" of at least {minimum}"
    if maximum is not None:
        return f" of at most {maximum}"
    return ""
