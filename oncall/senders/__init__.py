"""I/O that reaches one person through one contact method: email, SMS, voice, chat/push, webhook.

``contact_address_check`` normalises and validates what a user enters; ``contact_send`` sends one page and
says whether it arrived and whether another try is worth it. Neither retries by itself (the caller does, with
backoff), neither logs or returns a secret, and each send is bounded by ``timeout``. Addresses are checked
again before each send, so an address stored before a rule tightened cannot be used around it.
"""

from __future__ import annotations

from collections.abc import Callable

from oncall.senders.chat import chat_address_check, send_chat
from oncall.senders.common import ContactResult, PageMessage, invalid_address
from oncall.senders.mail import email_address_check, send_email
from oncall.senders.phone import phone_number_check, send_sms, send_voice
from oncall.senders.webhook import send_webhook_contact, webhook_address_check
from sre.errors import InvalidInputError

__all__ = ["CONTACT_KINDS", "ContactResult", "PageMessage", "contact_address_check", "contact_send"]

CONTACT_KINDS = ("email", "sms", "voice", "chat", "webhook")  # "chat" covers chat and push (Apprise)

_CHECKS: dict[str, Callable[[str], str]] = {
    "email": email_address_check,
    "sms": phone_number_check,
    "voice": phone_number_check,
    "chat": chat_address_check,
    "webhook": webhook_address_check,
}


def contact_address_check(*, kind: str, address: str) -> str:
    """The normalised address (E.164 number, email with lower-case domain, stripped URL), or
    ``InvalidInputError`` naming ``address`` (``kind`` for an unknown kind). Chat and webhook addresses whose
    host is private or loopback are refused unless ``SRE["ALERTS_ALLOW_PRIVATE_TARGETS"]``; this resolves
    the host name (DNS)."""
    check = _CHECKS.get(kind)
    if check is None:
        message = f"Unknown contact method {kind!r}; expected one of {', '.join(CONTACT_KINDS)}."
        raise InvalidInputError(message, fields={"kind": [message]})
    if not isinstance(address, str) or not address.strip():
        raise invalid_address("This field may not be blank.")
    return check(address)


def contact_send(*, kind: str, address: str, secret: str, message: PageMessage, timeout: float = 10.0) -> ContactResult:
    """Send ``message`` to one address of one kind. ``secret`` signs webhooks (other kinds ignore it: their
    credentials are in settings or in the Apprise URL). Never raises for a delivery problem: a bad address
    is ``ok=False`` and not retryable; network errors, timeouts, 429 and 5xx are retryable."""
    try:
        address = contact_address_check(kind=kind, address=address)
    except InvalidInputError as exc:
        return ContactResult(ok=False, detail=f"invalid {kind} address: {exc.message}")
    if kind == "email":
        return send_email(address=address, message=message, timeout=timeout)
    if kind == "sms":
        return send_sms(address=address, message=message, timeout=timeout)
    if kind == "voice":
        return send_voice(address=address, message=message, timeout=timeout)
    if kind == "chat":
        return send_chat(address=address, message=message, timeout=timeout)
    return send_webhook_contact(address=address, secret=secret, message=message, timeout=timeout)
