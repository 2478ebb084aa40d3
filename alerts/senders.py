"""I/O to receivers: PagerDuty Events API v2 (official ``pagerduty`` client), signed webhooks, email.

Each sender returns a ``SendResult``; none retries by itself (the outbox does, with backoff) and none logs
secrets. URLs given by users are checked against private address ranges unless allowed (no SSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import pagerduty
from django.conf import settings
from django.core.mail import send_mail

from alerts.choices import NotificationEvent, ReceiverKind
from alerts.domain.delivery import pagerduty_severity


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None = None
    error: str = ""
    network_error: bool = False


class TargetNotAllowed(Exception):
    """The URL points at an address receivers may not reach (loopback, private, link-local…)."""


def _tunable(name: str, default: Any) -> Any:
    return settings.SRE.get(name, default)


def check_target(url: str) -> None:
    """Refuse non-http(s) URLs and, unless ``ALERTS_ALLOW_PRIVATE_TARGETS``, private/loopback addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetNotAllowed("only http:// and https:// URLs with a host are allowed")
    if _tunable("ALERTS_ALLOW_PRIVATE_TARGETS", False):
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise TargetNotAllowed(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise TargetNotAllowed(f"{parts.hostname} resolves to a non-public address")


def _verify() -> Any:
    ca = _tunable("ALERTS_CA_FILE", "")
    return _ssl_context(ca) if ca else True


@lru_cache(maxsize=8)
def _ssl_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


_CLIENTS: dict[tuple, pagerduty.EventsApiV2Client] = {}
_CLIENTS_LOCK = threading.Lock()


def send(receiver: Any, *, event: str, payload: dict[str, Any], dedup_key: str) -> SendResult:
    kind = receiver.kind
    if kind == ReceiverKind.LEDGER:
        return SendResult(ok=True)
    try:
        if kind == ReceiverKind.PAGERDUTY:
            return send_pagerduty(receiver, event=event, payload=payload, dedup_key=dedup_key)
        if kind == ReceiverKind.WEBHOOK:
            return send_webhook(receiver, payload=payload)
        if kind == ReceiverKind.EMAIL:
            return send_email(receiver, event=event, payload=payload)
    except TargetNotAllowed as exc:
        return SendResult(ok=False, error=f"target not allowed: {exc}")
    return SendResult(ok=False, error=f"unknown receiver kind {kind!r}")


def pagerduty_client(receiver: Any) -> pagerduty.EventsApiV2Client:
    """The official client with its own retries switched off (our outbox retries with backoff; its
    defaults would block a worker for minutes): any 429/5xx comes back at once, one network try.

    Clients are kept per (receiver, key, URL, timeout) in the process so connections are reused; the key
    is part of the cache key only in memory, never logged."""
    base = receiver.url or "https://events.pagerduty.com"
    if receiver.url:
        check_target(base)
    ident = (receiver.pk, receiver.routing_key, base, receiver.timeout_seconds, _tunable("ALERTS_CA_FILE", ""))
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(ident)
        if client is None:
            if len(_CLIENTS) > 100:
                for old in _CLIENTS.values():
                    old.close()
                _CLIENTS.clear()
            client = _CLIENTS[ident] = _new_pagerduty_client(receiver, base)
    return client


def _new_pagerduty_client(receiver: Any, base: str) -> pagerduty.EventsApiV2Client:
    client = pagerduty.EventsApiV2Client(receiver.routing_key, base_url=base, verify=_verify())
    client.retry = {429: 1, 500: 1, 502: 1, 503: 1, 504: 1}
    client.max_http_attempts = -1
    client.max_network_attempts = 0
    client.sleep_timer = 0
    client.timeout = receiver.timeout_seconds
    return client


def pagerduty_event(*, event: str, payload: dict[str, Any], dedup_key: str) -> dict[str, Any]:
    """The Events API v2 body (without routing_key) for one of our events."""
    if event in (NotificationEvent.ACKNOWLEDGE, NotificationEvent.RESOLVE):
        return {"event_action": str(event), "dedup_key": dedup_key}
    common = payload.get("common_labels", {})
    source = common.get("instance") or common.get("service") or common.get("job") or "sre-control-plane"
    return {
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": payload.get("title", "alert")[:1024],
            "source": source,
            "severity": pagerduty_severity(payload.get("severity")),
            "component": common.get("service", ""),
            "group": common.get("team", ""),
            "class": common.get("alertname", ""),
            "custom_details": {
                "group_labels": payload.get("group_labels", {}),
                "firing": [a["labels"] for a in payload.get("alerts", []) if a["status"] == "firing"][:20],
                "annotations": payload.get("alerts", [{}])[0].get("annotations", {}) if payload.get("alerts") else {},
            },
        },
        "links": payload.get("links", []),
        "client": "SRE control plane",
        "client_url": payload.get("link", ""),
    }


def send_pagerduty(receiver: Any, *, event: str, payload: dict[str, Any], dedup_key: str) -> SendResult:
    if not receiver.routing_key:
        return SendResult(ok=False, error="no routing key configured")
    if event == NotificationEvent.TEST:
        event = NotificationEvent.TRIGGER
    body = pagerduty_event(event=event, payload=payload, dedup_key=dedup_key)
    action = body.pop("event_action")
    key = body.pop("dedup_key")
    client = pagerduty_client(receiver)
    try:
        client.send_event(action, dedup_key=key, **body)
        return SendResult(ok=True, status=202)
    except pagerduty.HttpError as exc:
        status = exc.response.status_code if exc.response is not None else None
        return SendResult(ok=False, status=status, error=_short(exc))
    except pagerduty.Error as exc:
        # Network failures (refused, reset, timeout) surface as the base Error wrapping a TransportError.
        return SendResult(ok=False, error=_short(exc), network_error=True)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    if cause is not None:
        text += f" ({type(cause).__name__})"
    return text[:500]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(receiver: Any, *, payload: dict[str, Any]) -> SendResult:
    """POST the group as JSON with ``X-SRE-Signature: sha256=<HMAC-SHA256(body, secret)>``; redirects are
    not followed (a redirect is a failure, so a receiver cannot bounce us to an internal address)."""
    check_target(receiver.url)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "sre-control-plane"}
    if receiver.secret:
        headers["X-SRE-Signature"] = webhook_signature(receiver.secret, body)
    request = urllib.request.Request(receiver.url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    handlers: list[Any] = [_NoRedirect()]
    if receiver.url.startswith("https"):
        verify = _verify()
        handlers.append(urllib.request.HTTPSHandler(context=verify if isinstance(verify, ssl.SSLContext) else None))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=receiver.timeout_seconds) as response:
            return SendResult(ok=200 <= response.status < 300, status=response.status)
    except urllib.error.HTTPError as exc:
        return SendResult(ok=False, status=exc.code, error=f"HTTP {exc.code} {exc.reason}"[:500])
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return SendResult(ok=False, error=_short(exc), network_error=True)


def send_email(receiver: Any, *, event: str, payload: dict[str, Any]) -> SendResult:
    recipients = [a.strip() for a in receiver.email_to.split(",") if a.strip()]
    if not recipients:
        return SendResult(ok=False, error="no recipients configured")
    lines = [payload.get("title", ""), "", f"Group: {payload.get('link', '')}", ""]
    for alert in payload.get("alerts", []):
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert["labels"].items()))
        lines.append(f"- [{alert['status']}] {labels}")
        if alert["annotations"].get("description"):
            lines.append(f"  {alert['annotations']['description']}")
    try:
        send_mail(
            subject=payload.get("title", "Alert")[:200],
            message="\n".join(lines),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        return SendResult(ok=True)
    except (OSError, Exception) as exc:  # noqa: BLE001 - smtplib raises many kinds; all are network-ish.
        return SendResult(ok=False, error=_short(exc), network_error=True)
