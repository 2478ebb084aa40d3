"""Contact senders against real servers and real clients: an SMTP server (aiosmtpd) for email, the official
twilio client against a loopback HTTPS stand-in for Twilio's REST API, Apprise against a loopback chat/ntfy
endpoint, and the alerts app's webhook sender against a receiver that checks the signature."""

from __future__ import annotations

import dataclasses
import logging
import xml.etree.ElementTree as ET

import pytest

from oncall.senders import CONTACT_KINDS, ContactResult, PageMessage, contact_address_check, contact_send
from sre.errors import InvalidInputError
from tests.oncall.stubs import ChatStub, TwilioStub, WebhookStub, smtp_server

ACK = "https://sre.example.com/oncall/ack/abc123?sig=def"
FROM_NUMBER = "+15005550006"


def page(**changes: object) -> PageMessage:
    message = PageMessage(
        title="[SEV1] checkout-latency burning 14.4x",
        body="Error budget burn 14.4x over 1h and 5m.\nService: checkout <prod> & friends",
        severity="critical",
        links={
            "acknowledge": ACK,
            "resolve": "https://sre.example.com/oncall/resolve/abc123?sig=ghi",
            "group": "https://sre.example.com/alerts/groups/42",
            "evil": "javascript:alert(document.cookie)",
            "local": "file:///etc/passwd",
        },
        group_id=42,
        person="Alice Example",
    )
    return dataclasses.replace(message, **changes)


@pytest.fixture
def allow_private(settings):
    """Loopback stand-ins are private addresses: let the outbound guard pass them (a copy of SRE)."""
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}


@pytest.fixture
def refuse_private(settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": False}


@pytest.fixture
def twilio(settings):
    stub = TwilioStub()
    settings.TWILIO_ACCOUNT_SID = stub.account_sid
    settings.TWILIO_AUTH_TOKEN = stub.auth_token
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_API_BASE = stub.url
    settings.SRE = {**settings.SRE, "ALERTS_CA_FILE": str(stub.cert)}
    yield stub
    stub.close()


@pytest.fixture
def chat():
    stub = ChatStub()
    yield stub
    stub.close()


@pytest.fixture
def webhook():
    stub = WebhookStub(secret="whsec-7f3a9c")
    yield stub
    stub.close()


# --- address checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "entered", "stored"),
    [
        ("sms", "+4915112345678", "+4915112345678"),
        ("sms", " +49 (151) 1234-5678 ", "+4915112345678"),
        ("voice", "0049 151 12345678", "+4915112345678"),
        ("voice", "+1.415.555.0100", "+14155550100"),
        ("email", "  Alice.Example@Example.COM ", "Alice.Example@example.com"),
        ("chat", " ntfy://oncall-alice ", "ntfy://oncall-alice"),  # ntfy.sh (cloud): no host of the user's
        (
            "chat",
            "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
            "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
        ),
        ("chat", "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100123", None),
        ("webhook", " https://93.184.216.34/page ", "https://93.184.216.34/page"),
    ],
)
def test_address_check_normalises(refuse_private, kind, entered, stored):
    assert contact_address_check(kind=kind, address=entered) == (stored or entered)


@pytest.mark.parametrize(
    ("kind", "entered"),
    [
        ("sms", "015112345678"),  # no country code
        ("sms", "+0151123456"),
        ("voice", "+49151123456789012"),  # longer than E.164 allows
        ("sms", "+49 151 CALLME"),
        ("email", "alice"),
        ("email", "alice@example.com\nBcc: everyone@example.com"),
        ("chat", "not a url"),
        ("chat", "mailto://user:pass@gmail.com"),  # Apprise can, but email is its own contact kind
        ("chat", "https://example.com/hook"),
        ("webhook", "javascript:alert(1)"),
        ("webhook", "file:///etc/passwd"),
        ("webhook", "ftp://example.com/x"),
        ("webhook", "https://exa..mple.com/hook"),  # the guard's resolver raises UnicodeError on this name
        ("webhook", "http://[::1/hook"),
        ("webhook", "https://example.com:99999/hook"),
        ("chat", "ntfy://[::1]:8080/topic"),
        ("webhook", "   "),
    ],
)
def test_address_check_refuses_bad_input_naming_the_address(refuse_private, kind, entered):
    with pytest.raises(InvalidInputError) as caught:
        contact_address_check(kind=kind, address=entered)
    assert list(caught.value.fields) == ["address"]
    assert caught.value.fields["address"][0]


def test_unknown_kind_names_kind():
    with pytest.raises(InvalidInputError) as caught:
        contact_address_check(kind="pigeon", address="x")
    assert "kind" in caught.value.fields
    result = contact_send(kind="pigeon", address="x", secret="", message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=False)
    assert set(CONTACT_KINDS) == {"email", "sms", "voice", "chat", "webhook"}


# --- email through a real SMTP server -------------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "pager@sre.example.com"
        yield inbox


def test_email_arrives_with_links_as_anchors_and_nothing_unsafe(smtp):
    message = page(title="[SEV1] <b>checkout</b> burning")
    result = contact_send(kind="email", address="alice@example.com", secret="", message=message)

    assert result.ok, result
    assert smtp.envelopes == [("pager@sre.example.com", ["alice@example.com"])]
    mail = smtp.messages[0]
    assert mail["To"] == "alice@example.com"
    assert mail["Subject"] == "[SEV1] <b>checkout</b> burning"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert ACK in text
    assert f'<a href="{ACK.replace("&", "&amp;")}">acknowledge</a>' in html
    assert "&lt;b&gt;checkout&lt;/b&gt;" in html and "<b>" not in html
    assert "checkout &lt;prod&gt; &amp; friends" in html
    assert "javascript:" not in html and "javascript:" not in text
    assert "file:" not in html


def test_email_subject_is_one_line(smtp):
    result = contact_send(kind="email", address="alice@example.com", secret="", message=page(title="one\ntwo\r\nthree"))
    assert result.ok, result
    assert smtp.messages[0]["Subject"] == "one two three"


@pytest.mark.parametrize(("reply", "retryable"), [("550 5.1.1 No such user", False), ("451 4.3.0 Try later", True)])
def test_email_refused_recipient(smtp, reply, retryable):
    smtp.refuse_next = reply
    result = contact_send(kind="email", address="alice@example.com", secret="", message=page())
    assert not result.ok
    assert result.retryable is retryable
    assert smtp.messages == []


def test_email_server_down_is_retryable(settings):
    with smtp_server() as (_, port):
        pass  # stopped: nothing listens on the port any more
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    result = contact_send(kind="email", address="alice@example.com", secret="", message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=True)


# --- SMS and voice through the twilio client ------------------------------------------------------------------


def test_sms_reaches_twilio_with_title_and_acknowledge_link(twilio, caplog):
    caplog.set_level(logging.DEBUG)
    result = contact_send(kind="sms", address="+49 151 1234 5678", secret="", message=page())

    assert result.ok, result
    assert result.detail.startswith("SM") and len(result.detail) == 34
    [sent] = twilio.created("Messages")
    assert sent["To"] == "+4915112345678"
    assert sent["From"] == FROM_NUMBER
    assert sent["Body"] == f"[SEV1] checkout-latency burning 14.4x\nAck: {ACK}"
    assert twilio.auth_token not in caplog.text and twilio.auth_token not in result.detail


def test_sms_body_fits_twilio_limit_and_keeps_the_link(twilio):
    result = contact_send(kind="sms", address="+4915112345678", secret="", message=page(title="x" * 5000))
    assert result.ok, result
    body = twilio.created("Messages")[0]["Body"]
    assert len(body) <= 1600
    assert body.endswith(f"Ack: {ACK}")


def test_voice_call_says_the_page_as_escaped_twiml(twilio):
    message = page(title='[SEV1] "checkout" <p99> & co', body="Latency high.\nSee https://grafana.example.com/d/1")
    result = contact_send(kind="voice", address="+4915112345678", secret="", message=message)

    assert result.ok, result
    assert result.detail.startswith("CA")
    [call] = twilio.created("Calls")
    assert (call["To"], call["From"]) == ("+4915112345678", FROM_NUMBER)
    say = ET.fromstring(call["Twiml"]).find("Say")
    assert say is not None
    assert '[SEV1] "checkout" <p99> & co' in say.text
    assert "Alice Example" in say.text and "Latency high." in say.text
    assert "https://" not in say.text  # links are not read out


def test_wrong_credentials_are_not_retryable_and_not_shown(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "0123456789abcdef-wrong-token"
    result = contact_send(kind="sms", address="+4915112345678", secret="", message=page())

    assert result == ContactResult(ok=False, detail=result.detail, retryable=False)
    assert "401" in result.detail and "Authenticate" in result.detail
    assert "wrong-token" not in result.detail
    assert len(twilio.requests) == 1 and twilio.created("Messages") == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_twilio_throttling_and_server_errors_are_retryable(twilio, status):
    twilio.fail_next(status)
    result = contact_send(kind="voice", address="+4915112345678", secret="", message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=True)
    assert str(status) in result.detail
    assert len(twilio.requests) == 1  # the client did not retry on its own


def test_twilio_not_configured(twilio, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    result = contact_send(kind="sms", address="+4915112345678", secret="", message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=False)
    assert result.detail.startswith("SMS is not configured") and "TWILIO_ACCOUNT_SID" in result.detail
    assert twilio.requests == []


def test_twilio_tls_is_verified(twilio, settings):
    """Without the stand-in's certificate as CA the handshake fails: nothing was sent, and it may be retried."""
    settings.SRE = {**settings.SRE, "ALERTS_CA_FILE": ""}
    result = contact_send(kind="sms", address="+4915112345678", secret="", message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=True)
    assert "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert twilio.requests == []


def test_twilio_request_is_bounded_by_the_timeout(twilio):
    """The stand-in holds the request (answering 201 after 10 s); a client without our bound would wait and
    succeed. It gives up instead, retryably."""
    twilio.hold_next()
    result = contact_send(kind="sms", address="+4915112345678", secret="", message=page(), timeout=0.5)
    twilio.release()
    assert result == ContactResult(ok=False, detail=result.detail, retryable=True)
    assert "Timeout" in result.detail


# --- chat and push through Apprise ---------------------------------------------------------------------------


def test_chat_json_endpoint_receives_title_body_and_links(chat, allow_private):
    address = f"json://127.0.0.1:{chat.port}/hooks/alice"
    result = contact_send(kind="chat", address=address, secret="", message=page())

    assert result.ok, result
    [received] = chat.requests
    assert (received.method, received.path) == ("POST", "/hooks/alice")
    sent = received.json()
    assert sent["title"] == "[SEV1] checkout-latency burning 14.4x"
    assert "Service: checkout <prod> & friends" in sent["message"]
    assert f"acknowledge: {ACK}" in sent["message"]
    assert "javascript:" not in sent["message"]
    assert sent["type"] == "failure"  # critical


def test_chat_self_hosted_ntfy_receives_the_page(chat, allow_private):
    result = contact_send(kind="chat", address=f"ntfy://127.0.0.1:{chat.port}/oncall-alice", secret="", message=page())

    assert result.ok, result
    assert result.detail == f"sent to ntfy://127.0.0.1:{chat.port}/oncall-alice"
    sent = chat.requests[0].json()
    assert sent["topic"] == "oncall-alice"
    assert sent["title"] == "[SEV1] checkout-latency burning 14.4x"
    assert ACK in sent["message"]


def test_chat_private_address_refused_unless_allowed(chat, settings):
    address = f"json://127.0.0.1:{chat.port}/hook"
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": False}
    with pytest.raises(InvalidInputError) as caught:
        contact_address_check(kind="chat", address=address)
    assert "non-public" in caught.value.fields["address"][0]
    refused = contact_send(kind="chat", address=address, secret="", message=page())
    assert refused == ContactResult(ok=False, detail=refused.detail, retryable=False)
    assert chat.requests == []

    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": True}
    assert contact_address_check(kind="chat", address=address) == address
    assert contact_send(kind="chat", address=address, secret="", message=page()).ok
    assert len(chat.requests) == 1


def test_chat_failure_masks_the_password_and_says_if_retryable(chat, allow_private, caplog):
    caplog.set_level(logging.DEBUG)
    address = f"json://pager:s3cr3t-pw@127.0.0.1:{chat.port}/hook"
    chat.fail_next(500)
    server_error = contact_send(kind="chat", address=address, secret="", message=page())
    chat.fail_next(404)
    not_found = contact_send(kind="chat", address=address, secret="", message=page())

    assert (server_error.ok, server_error.retryable) == (False, True)
    assert (not_found.ok, not_found.retryable) == (False, False)
    assert "error=500" in server_error.detail and "pager:****@" in server_error.detail
    assert len(chat.requests) == 2  # Apprise did not retry on its own
    for text in (server_error.detail, not_found.detail, caplog.text):
        assert "s3cr3t-pw" not in text


def test_chat_redirect_is_not_followed(chat, allow_private):
    """A redirect could send the request on to an address the guard refused; it counts as a failure."""
    chat.redirect_next(f"http://127.0.0.1:{chat.port}/elsewhere")
    result = contact_send(kind="chat", address=f"json://127.0.0.1:{chat.port}/hook", secret="", message=page())
    assert not result.ok
    assert [r.path for r in chat.requests] == ["/hook"]


def test_webhook_redirect_is_not_followed(webhook, allow_private):
    webhook.redirect_next(f"{webhook.url}/elsewhere")
    result = contact_send(kind="webhook", address=webhook.url, secret=webhook.secret, message=page())
    assert not result.ok
    assert [r.path for r in webhook.requests] == ["/"]


def test_chat_unreachable_is_retryable(allow_private):
    stub = ChatStub()
    port = stub.port
    stub.close()
    result = contact_send(kind="chat", address=f"json://127.0.0.1:{port}/hook", secret="", message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=True)


def test_malformed_chat_url_is_refused_without_logging_its_token(caplog):
    """Apprise logs a URL it cannot parse (with the bot token in it) and an invalid token itself; neither may
    reach the application's log."""
    caplog.set_level(logging.DEBUG)
    for address in ("tgram://SECRETBOTTOKEN/", "slack://SECRETTOKENA/SECRET!!TOKENB/SECRETTOKENC"):
        with pytest.raises(InvalidInputError) as caught:
            contact_address_check(kind="chat", address=address)
        assert "address" in caught.value.fields
    assert "SECRET" not in caplog.text


# --- signed webhooks -----------------------------------------------------------------------------------------


def test_webhook_is_signed_and_carries_the_page(webhook, allow_private):
    result = contact_send(kind="webhook", address=f"{webhook.url}/page", secret=webhook.secret, message=page(test=True))

    assert result == ContactResult(ok=True, detail="HTTP 200")
    [body] = webhook.verified
    assert body == {
        "title": "[SEV1] checkout-latency burning 14.4x",
        "body": page().body,
        "severity": "critical",
        "links": page().links,
        "group_id": 42,
        "person": "Alice Example",
        "test": True,
    }
    assert webhook.requests[0].path == "/page"


def test_webhook_with_wrong_secret_is_rejected_by_the_receiver(webhook, allow_private):
    result = contact_send(kind="webhook", address=webhook.url, secret="not-the-secret", message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=False)
    assert "401" in result.detail and "not-the-secret" not in result.detail
    assert webhook.verified == []


def test_webhook_server_error_is_retryable(webhook, allow_private):
    webhook.fail_next(503)
    result = contact_send(kind="webhook", address=webhook.url, secret=webhook.secret, message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=True)


def test_webhook_to_private_address_is_not_sent(webhook, refuse_private):
    result = contact_send(kind="webhook", address=webhook.url, secret=webhook.secret, message=page())
    assert result == ContactResult(ok=False, detail=result.detail, retryable=False)
    assert "address" in result.detail
    assert webhook.requests == []
