"""Chat and push to one person through ``apprise`` (ntfy, Slack, Telegram, Discord, Matrix, Pushover, JSON…).

The address is an Apprise URL; it usually carries the service's token, so it is shown only masked. Only the
schemes in ``CHAT_SCHEMES`` are accepted. For those whose host the user names (a self-hosted ntfy, Matrix,
JSON endpoint…), the host must pass the outbound guard, when the address is entered and before each send;
redirects are not followed and Matrix server discovery is off, so the request cannot be moved elsewhere. Each
call is bounded by the caller's timeout (Apprise abandons a service past it) and Apprise's own retries are
off: the caller retries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit, urlunsplit

import apprise

from oncall.senders.common import ContactResult, PageMessage, http_links, invalid_address, outbound_check

# Services at a fixed host: the "host" of the URL is a token or an id.
FIXED_HOST_SCHEMES = frozenset({"slack", "tgram", "discord", "pover", "pbul", "gchat"})
# Services at a host the user names (Teams goes through Power Automate: workflow(s)://).
OWN_HOST_SCHEMES = frozenset(
    {"json", "jsons", "ntfy", "ntfys", "matrix", "matrixs", "gotify", "gotifys", "mmost", "mmosts"}
    | {"rocket", "rockets", "workflow", "workflows"}
)
CHAT_SCHEMES = FIXED_HOST_SCHEMES | OWN_HOST_SCHEMES

_ASSET = apprise.AppriseAsset(async_mode=False, http_redirects=False, secure_logging=True)
_NOTIFY_TYPE = {
    "critical": apprise.NotifyType.FAILURE,
    "warning": apprise.NotifyType.WARNING,
}
_HTTP_STATUS = re.compile(r"error=(\d{3})\b")
_TOKEN = re.compile(r"[^/:@?&=#.,;%+\s]+")

_APPRISE_LOG = logging.getLogger(apprise.LOGGER_NAME)
_QUIET: ContextVar[bool] = ContextVar("oncall_apprise_quiet", default=False)


class _KeepWithinApprise(logging.Filter):
    """While this module calls Apprise, Apprise's records reach only Apprise's own per-call capture (which
    ``notify``'s result carries) and not the application's log: Apprise writes URLs and tokens into some
    messages ("Unparseable Telegram URL tgram://<bot token>/…", request URLs with tokens in the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _QUIET.get():
            return True
        for handler in _APPRISE_LOG.handlers:
            if type(handler).__module__.startswith("apprise.") and record.levelno >= handler.level:
                handler.handle(record)
        return False


_APPRISE_LOG.addFilter(_KeepWithinApprise())


@contextmanager
def _quiet() -> Iterator[None]:
    # Apprise copies the context into the threads it dispatches to, so the flag follows the call there.
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def chat_address_check(address: str) -> str:
    """The URL, stripped, once Apprise accepts it and its host (if the user names one) may be reached."""
    address = address.strip()
    _service(address)
    return address


def _service(address: str) -> apprise.NotifyBase:
    with _quiet():
        service = apprise.Apprise.instantiate(address, asset=_ASSET) if address else None
    if service is None:
        raise invalid_address("Not an Apprise URL (e.g. ntfys://ntfy.example.com/topic or slack://…).")
    scheme = urlsplit(service.url(privacy=True)).scheme.lower()
    if scheme not in CHAT_SCHEMES:
        raise invalid_address(f"{scheme}:// is not offered; use one of {', '.join(sorted(CHAT_SCHEMES))}.")
    mode = getattr(service, "mode", None)
    # ntfy's cloud mode (ntfy://topic → ntfy.sh) and Matrix's t2bot mode name no host of the user's.
    hosted = (scheme in ("ntfy", "ntfys") and mode == "cloud") or (scheme in ("matrix", "matrixs") and mode == "t2bot")
    if scheme in OWN_HOST_SCHEMES and not hosted:
        host = (service.host or "").strip("[]")
        netloc = f"[{host}]" if ":" in host else host
        if service.port:
            netloc += f":{service.port}"
        outbound_check(f"{'https' if service.secure else 'http'}://{netloc}/")
    return service


def masked(service: apprise.NotifyBase) -> str:
    """The service's URL with its secrets masked by Apprise and without its (long) query string."""
    parts = urlsplit(service.url(privacy=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _secrets(address: str, service: apprise.NotifyBase) -> set[str]:
    """Pieces of the address that Apprise masks when it shows the URL (tokens, passwords, ids)."""
    shown = set(_TOKEN.findall(service.url(privacy=True)))
    pieces = set(_TOKEN.findall(address)) | set(_TOKEN.findall(service.url(privacy=False)))
    return {piece for piece in pieces - shown if len(piece) >= 4}


def _scrub(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "****")
    return text


def chat_body(message: PageMessage) -> str:
    lines = [message.body.rstrip(), ""]
    lines += [f"{name.replace('_', ' ')}: {url}" for name, url in http_links(message)]
    return "\n".join(lines).strip()


def send_chat(*, address: str, message: PageMessage, timeout: float) -> ContactResult:
    service = _service(address)
    service.redirects = False
    service.retry = 0
    if hasattr(service, "discovery"):
        service.discovery = False
    service.socket_connect_timeout = min(service.socket_connect_timeout, timeout)
    service.socket_read_timeout = min(service.socket_read_timeout, timeout)
    notifier = apprise.Apprise(asset=_ASSET)
    notifier.add(service)
    with _quiet():
        result = notifier.notify(
            title=message.title,
            body=chat_body(message),
            notify_type=_NOTIFY_TYPE.get(message.severity.lower(), apprise.NotifyType.INFO),
            body_format=apprise.NotifyFormat.TEXT,
            timeout=timeout,
        )
    shown = masked(service)
    if result:
        return ContactResult(ok=True, detail=f"sent to {shown}")
    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        return ContactResult(ok=False, detail=f"{shown}: timed out after {timeout:g}s", retryable=True)
    problems = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    said = _scrub(" ".join(problems[-2:]), _secrets(address, service)) or "not delivered"
    statuses = [int(code) for code in _HTTP_STATUS.findall(" ".join(problems))]
    # No HTTP status means the request never got an answer (refused, reset, timed out): try again.
    retryable = not statuses or statuses[-1] == 429 or statuses[-1] >= 500
    return ContactResult(ok=False, detail=f"{shown}: {said}", retryable=retryable)
