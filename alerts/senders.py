"""I/O to receivers: PagerDuty Events API v2 (official ``pagerduty`` client), signed webhooks, email.

Each sender returns a ``SendResult``; none retries by itself (the outbox does, with backoff) and none logs
secrets. URLs given by users go through the outbound guard (``sre.outbound``): connections go only to the
public addresses it checked, unless ``ALERTS_ALLOW_PRIVATE_TARGETS`` (no SSRF, no DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pagerduty
import requests
from django.conf import settings
from django.core.mail import send_mail

from alerts.choices import NotificationEvent, ReceiverKind
from alerts.domain.delivery import pagerduty_severity
from sre.outbound import OutboundRefused, outbound_check, outbound_httpx_transport, outbound_post


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None = None
    error: str = ""
    network_error: bool = False


# The URL points at an address receivers may not reach (loopback, private, link-local…): the guard's refusal.
TargetNotAllowed = OutboundRefused


def _tunable(name: str, default: Any) -> Any:
    return settings.SRE.get(name, default)


def _allow_private() -> bool:
    return bool(_tunable("ALERTS_ALLOW_PRIVATE_TARGETS", False))


def check_target(url: str) -> None:
    """Refuse, as a form or API would, a URL the outbound guard would not connect to. Sending does not rely on
    this check: the senders connect through the guard, which checks again the addresses it connects to."""
    outbound_check(url, allow_private=_allow_private())


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
        outbound_check(base, allow_private=_allow_private(), resolve=False)  # its connections are guarded
    ca_file = _tunable("ALERTS_CA_FILE", "")
    ident = (receiver.pk, receiver.routing_key, base, receiver.timeout_seconds, ca_file, _allow_private())
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
    if receiver.url:  # a user-given endpoint: every connection through the outbound guard
        transport = outbound_httpx_transport(allow_private=_allow_private(), verify=_verify())
        client = pagerduty.EventsApiV2Client(receiver.routing_key, base_url=base, transport=transport)
    else:
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
    """Kept for ``oncall.services.schedules.ical_fetch``, which opens URLs with urllib; the senders here go
    through ``sre.outbound`` instead, which pins the connection to the checked address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(receiver: Any, *, payload: dict[str, Any]) -> SendResult:
    """POST the group as JSON with ``X-SRE-Signature: sha256=<HMAC-SHA256(body, secret)>``; redirects are
    not followed (a redirect is a failure, so a receiver cannot bounce us to an internal address)."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "sre-control-plane"}
    if receiver.secret:
        headers["X-SRE-Signature"] = webhook_signature(receiver.secret, body)
    try:
        response = outbound_post(
            receiver.url,
            allow_private=_allow_private(),
            data=body,
            headers=headers,
            timeout=receiver.timeout_seconds,
            verify=_tunable("ALERTS_CA_FILE", "") or True,
        )
    except requests.RequestException as exc:
        return SendResult(ok=False, error=_short(exc), network_error=True)
    if 200 <= response.status_code < 300:
        return SendResult(ok=True, status=response.status_code)
    return SendResult(
        ok=False, status=response.status_code, error=f"HTTP {response.status_code} {response.reason}"[:500]
    )


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
