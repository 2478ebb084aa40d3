"""Email to one person through Django's configured backend (SMTP in production, files in ``make run``)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.utils.html import escape, linebreaks

from oncall.senders.common import (
    ContactResult,
    PageMessage,
    http_links,
    invalid_address,
    one_line,
    short_error,
)

SUBJECT_MAX = 200


def email_address_check(address: str) -> str:
    """A valid address, with its domain lower-cased (the local part is the receiving server's business)."""
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise invalid_address("Enter a valid email address.") from None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_text(message: PageMessage) -> str:
    lines = [message.title, "", message.body.rstrip(), ""]
    lines += [f"{name}: {url}" for name, url in http_links(message)]
    return "\n".join(lines).rstrip() + "\n"


def email_html(message: PageMessage) -> str:
    """Simple HTML: everything escaped, and only http(s) links become anchors (a ``javascript:`` link is
    left out rather than shown, as in the text part)."""
    anchors = "".join(
        f'<li><a href="{escape(url)}">{escape(name.replace("_", " "))}</a></li>' for name, url in http_links(message)
    )
    return (
        "<!doctype html><html><body>"
        f"<h2>{escape(message.title)}</h2>"
        f"{linebreaks(escape(message.body))}" + (f"<ul>{anchors}</ul>" if anchors else "") + "</body></html>"
    )


def send_email(*, address: str, message: PageMessage, timeout: float) -> ContactResult:
    subject = one_line(message.title)[:SUBJECT_MAX] or "Page"
    email = EmailMultiAlternatives(
        subject=subject,
        body=email_text(message),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        connection=get_connection(timeout=timeout),  # backends take **kwargs; SMTP uses it per socket call
    )
    email.attach_alternative(email_html(message), "text/html")
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        return ContactResult(
            ok=False, detail=f"recipient refused: {codes}", retryable=all(400 <= c < 500 for c in codes)
        )
    except smtplib.SMTPResponseException as exc:
        return ContactResult(ok=False, detail=short_error(exc), retryable=400 <= exc.smtp_code < 500)
    except (smtplib.SMTPException, OSError) as exc:
        return ContactResult(ok=False, detail=short_error(exc), retryable=True)
    return ContactResult(ok=True, detail=f"mailed to {address}")
