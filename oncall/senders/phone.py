"""SMS and voice calls to one person through the official ``twilio`` client.

Settings (plain Django settings, read at each send): ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``,
``TWILIO_FROM_NUMBER`` (all empty = not configured) and ``TWILIO_API_BASE`` (empty = Twilio's own API;
otherwise every request of the client goes to that https:// base instead, e.g. a stand-in). TLS is verified
against ``SRE["ALERTS_CA_FILE"]`` when set. The client never retries by itself and every request is bounded
by the caller's timeout; the token is only ever in the client's basic-auth header.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from oncall.senders.common import (
    ContactResult,
    PageMessage,
    first_link,
    invalid_address,
    one_line,
    short_error,
    sre_setting,
)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SMS_MAX = 1600  # Twilio's limit for one message body (it splits into segments itself)
SPEECH_MAX = 600  # characters spoken; the TwiML stays well under Twilio's 4,000-character limit
_SEPARATORS = re.compile(r"[\s().\-/]")
_URL = re.compile(r"https?://\S+")


def phone_number_check(address: str) -> str:
    """An E.164 number: spaces, dots, dashes, slashes and parentheses are dropped, a leading 00 becomes +."""
    number = _SEPARATORS.sub("", address)
    if number.startswith("00"):
        number = "+" + number[2:]
    if not E164.match(number):
        raise invalid_address("Enter the number in international form, e.g. +4915112345678.")
    return number


class _Session(requests.Session):
    """A session whose CA file, when one is configured, is used even if ``REQUESTS_CA_BUNDLE`` is set (requests
    otherwise lets the environment override a session's ``verify``)."""

    def __init__(self, ca_file: str) -> None:
        super().__init__()
        self.ca_file = ca_file
        self.mount("https://", HTTPAdapter(max_retries=0))

    def merge_environment_settings(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        merged = super().merge_environment_settings(*args, **kwargs)
        if self.ca_file:
            merged["verify"] = self.ca_file
        return merged


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending each request to ``base`` (scheme, host and an optional path
    prefix) instead of the host the library chose; with ``base`` empty it is the stock client. No retries;
    TLS verified against ``ca_file`` when given."""

    def __init__(self, *, base: str, ca_file: str, timeout: float) -> None:
        super().__init__(timeout=timeout, max_retries=0)
        self.session = _Session(ca_file)
        self.base = urlsplit(base) if base else None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base is not None:
            parts = urlsplit(url)
            path = self.base.path.rstrip("/") + parts.path
            url = urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


# One HTTP client (a requests Session, so connections are reused) per base, CA file and timeout; it holds
# no credentials (they travel with each request), so sharing it across accounts leaks nothing.
@lru_cache(maxsize=16)
def _http_client(base: str, ca_file: str, timeout: float) -> RebasedHttpClient:
    return RebasedHttpClient(base=base, ca_file=ca_file, timeout=timeout)


def _twilio_client(timeout: float) -> Client | str:
    """A client, or the sentence saying why there is none."""
    sid = getattr(settings, "TWILIO_ACCOUNT_SID", "")
    token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
    missing = [
        name
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
        if not getattr(settings, name, "")
    ]
    if missing:
        return f"not configured ({', '.join(missing)} not set)"
    base = getattr(settings, "TWILIO_API_BASE", "")
    if base and (urlsplit(base).scheme != "https" or not urlsplit(base).hostname):
        return "not configured (TWILIO_API_BASE must be an https:// URL)"
    http = _http_client(base, sre_setting("ALERTS_CA_FILE", ""), float(timeout))
    return Client(sid, token, http_client=http)


def sms_text(message: PageMessage) -> str:
    """The title and the acknowledge link (else the group's), within Twilio's 1,600 characters."""
    link = first_link(message, "acknowledge", "group")
    if len(link) > SMS_MAX // 2:
        link = ""
    tail = f"\nAck: {link}" if link else ""
    title = one_line(message.title)
    room = SMS_MAX - len(tail)
    if len(title) > room:
        title = title[: room - 1] + "…"
    return title + tail


def voice_twiml(message: PageMessage) -> str:
    """TwiML that says the page twice; links are not read out, and the text is escaped for XML."""
    text = one_line(_URL.sub("", f"Page for {message.person}. {message.title}. {message.body}"))
    if len(text) > SPEECH_MAX:
        text = text[: SPEECH_MAX - 3] + "..."
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Say loop="2">{xml_escape(text)}</Say></Response>'


def send_sms(*, address: str, message: PageMessage, timeout: float) -> ContactResult:
    return _send("SMS", address=address, message=message, timeout=timeout)


def send_voice(*, address: str, message: PageMessage, timeout: float) -> ContactResult:
    return _send("Voice", address=address, message=message, timeout=timeout)


def _send(what: str, *, address: str, message: PageMessage, timeout: float) -> ContactResult:
    client = _twilio_client(timeout)
    if isinstance(client, str):
        return ContactResult(ok=False, detail=f"{what} is {client}")
    sender = settings.TWILIO_FROM_NUMBER
    try:
        if what == "SMS":
            created = client.messages.create(to=address, from_=sender, body=sms_text(message))
        else:
            created = client.calls.create(to=address, from_=sender, twiml=voice_twiml(message))
    except TwilioRestException as exc:
        # Twilio's own words (code and message), not str(exc): that carries the request URL.
        return ContactResult(
            ok=False,
            detail=f"Twilio HTTP {exc.status}: {exc.code or ''} {exc.msg}".strip(),
            retryable=exc.status == 429 or exc.status >= 500,
        )
    except requests.RequestException as exc:  # refused, reset, TLS, timeout: worth another try
        return ContactResult(ok=False, detail=short_error(exc), retryable=True)
    except TwilioException as exc:
        return ContactResult(ok=False, detail=short_error(exc))
    return ContactResult(ok=True, detail=str(created.sid or ""))
