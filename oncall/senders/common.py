"""Shared pieces of the contact senders: the message and result types, links, the outbound guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

# The outbound-address guard (SSRF): one import, one call site in this package (``outbound_check``).
from alerts.senders import TargetNotAllowed, check_target
from sre.domain.links import http_url
from sre.errors import InvalidInputError

DETAIL_MAX = 500


@dataclass(frozen=True)
class PageMessage:
    """What a page says; every sender renders it for its medium (no medium sees another's format)."""

    title: str
    body: str
    severity: str
    links: dict[str, str]
    group_id: int | None
    person: str
    test: bool = False


@dataclass(frozen=True)
class ContactResult:
    """The outcome of one attempt. ``detail`` is a provider id or the error, never a secret, ≤ 500 chars;
    ``retryable`` marks failures worth another try (network errors, timeouts, 429, 5xx)."""

    ok: bool
    detail: str = ""
    retryable: bool = False

    def __post_init__(self) -> None:
        if len(self.detail) > DETAIL_MAX:
            object.__setattr__(self, "detail", self.detail[: DETAIL_MAX - 1] + "…")


def sre_setting(name: str, default: Any) -> Any:
    return settings.SRE.get(name, default)


def invalid_address(message: str) -> InvalidInputError:
    return InvalidInputError(message, fields={"address": [message]})


def outbound_check(url: str) -> None:
    """Refuse a user-given URL that is not absolute http(s) or whose host is private/loopback (unless
    ``ALERTS_ALLOW_PRIVATE_TARGETS``), as ``InvalidInputError`` naming ``address``. Runs when an address is
    entered and again before each send (a name may resolve elsewhere by then)."""
    if not http_url(url):  # shape first: the guard raises ValueError/UnicodeError on a bad port or host
        raise invalid_address("Enter an absolute http:// or https:// URL.")
    try:
        check_target(url)
    except TargetNotAllowed as exc:
        raise invalid_address(f"target not allowed: {exc}") from None
    except (UnicodeError, ValueError):  # a host name IDNA cannot encode ("a..b", a label over 63 chars)
        raise invalid_address("The URL's host is not a valid name.") from None


def http_links(message: PageMessage) -> list[tuple[str, str]]:
    """The message's links that may be shown as links (absolute http(s)), in the order given."""
    return [(name, url) for name, url in message.links.items() if http_url(url)]


def first_link(message: PageMessage, *names: str) -> str:
    """The first of ``names`` that is an http(s) link, or ""."""
    for name in names:
        url = message.links.get(name)
        if url and http_url(url):
            return url
    return ""


def one_line(text: str) -> str:
    """``text`` with line breaks and runs of whitespace collapsed (subjects, SMS, speech)."""
    return " ".join(text.split())


def short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:DETAIL_MAX]
