"""A signed JSON webhook to one person's endpoint, through the alerts app's webhook sender (same HMAC
signature header, SSRF guard and no redirects)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from alerts.senders import send_webhook
from oncall.senders.common import ContactResult, PageMessage, TargetNotAllowed, outbound_check


@dataclass(frozen=True)
class WebhookTarget:
    """What ``alerts.senders.send_webhook`` reads of a receiver."""

    url: str
    secret: str
    timeout_seconds: float


def webhook_address_check(address: str) -> str:
    address = address.strip()
    outbound_check(address)
    return address


def webhook_payload(message: PageMessage) -> dict[str, object]:
    """``{"title", "body", "severity", "links", "group_id", "person", "test"}``; the receiver checks
    ``X-SRE-Signature: sha256=<HMAC-SHA256(body, secret)>``."""
    return asdict(message)


def send_webhook_contact(*, address: str, secret: str, message: PageMessage, timeout: float) -> ContactResult:
    target = WebhookTarget(url=address, secret=secret, timeout_seconds=timeout)
    try:
        sent = send_webhook(target, payload=webhook_payload(message))
    except TargetNotAllowed as exc:
        return ContactResult(ok=False, detail=f"target not allowed: {exc}")
    if sent.ok:
        return ContactResult(ok=True, detail=f"HTTP {sent.status}")
    status = sent.status
    retryable = sent.network_error or (status is not None and (status == 429 or status >= 500))
    return ContactResult(ok=False, detail=sent.error or f"HTTP {status}", retryable=retryable)
