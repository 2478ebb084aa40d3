"""Loopback stand-ins for the services a page reaches: Twilio's REST API (HTTPS, self-signed certificate), a
chat/push endpoint (Apprise's JSON and ntfy notifiers post to it), a signed-webhook receiver, and an SMTP
inbox (aiosmtpd). Each records what arrived so a test can check what the real service would have received.

Behaviour is driven by the test: ``fail_next(status, times)`` answers the next requests with an error as the
real service words it; ``redirect_next(location)`` answers the next one with a 307; ``hold_next()`` keeps the
next request unanswered until ``release()`` (or 10 s).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import ssl
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from tests.alerts.pagerduty_stub import self_signed_cert
from tests.support.servers import free_port

HOLD_LIMIT = 10.0  # a held request is answered after this many seconds at the latest


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int = 0  # what the stand-in answered

    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode(), keep_blank_values=True).items()}


class LoopbackServer:
    """A threaded HTTP (or HTTPS, with a fresh self-signed certificate in ``cert``) server on 127.0.0.1 that
    records every request and answers with ``respond``; subclasses say how the real service answers."""

    def __init__(self, *, tls: bool = False) -> None:
        self.lock = threading.Lock()
        self.requests: list[Received] = []
        self._failures: list[int] = []
        self._redirects: list[str] = []
        self._hold_next = False
        self._released = threading.Event()
        self._dir = tempfile.TemporaryDirectory(prefix="oncall-stub-")
        self.cert: Path | None = None
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                status, headers, body = stub._handle(received)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _any

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that gave up on a held request leaves a broken pipe behind: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        if tls:
            self.cert, key = self_signed_cert(Path(self._dir.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cert, key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    # --- behaviour ---------------------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self._failures.extend([status] * times)

    def redirect_next(self, location: str) -> None:
        """Answer the next request with ``307 Temporary Redirect`` to ``location`` (method and body kept)."""
        with self.lock:
            self._redirects.append(location)

    def hold_next(self) -> None:
        self._hold_next = True
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
        self._dir.cleanup()

    # --- answering ---------------------------------------------------------------------------------
    def _handle(self, received: Received) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(received)
            failure = self._failures.pop(0) if self._failures else None
            redirect = self._redirects.pop(0) if self._redirects else None
            hold, self._hold_next = self._hold_next, False
        if hold:
            self._released.wait(HOLD_LIMIT)
        if redirect:
            status, headers, body = 307, {"Location": redirect}, b""
        elif failure:
            status, headers, body = self.error(failure)
        else:
            status, headers, body = self.respond(received)
        received.status = status
        return status, headers, body

    def respond(self, received: Received) -> tuple[int, dict[str, str], bytes]:
        return _json(200, {"ok": True})

    def error(self, status: int) -> tuple[int, dict[str, str], bytes]:
        return _json(status, {"error": "stand-in failure", "status": status})


def _json(status: int, answer: dict) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(answer).encode()


class TwilioStub(LoopbackServer):
    """Answers as Twilio's REST API 2010-04-01 does for creating messages and calls: HTTP basic auth with the
    account SID and auth token (401, code 20003, otherwise), form-encoded parameters, 201 with the new
    resource as JSON, Twilio's error bodies ({"code", "message", "more_info", "status"}) for failures."""

    PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/(?P<kind>Messages|Calls)\.json$")
    E164 = re.compile(r"^\+[1-9]\d{6,14}$")
    MESSAGES = {429: (20429, "Too Many Requests"), 500: (20500, "Internal Server Error"), 503: (20503, "Unavailable")}

    def __init__(self) -> None:
        super().__init__(tls=True)
        self.account_sid = "AC" + uuid.uuid4().hex
        self.auth_token = uuid.uuid4().hex

    def created(self, kind: str) -> list[dict[str, str]]:
        """The form parameters of every message (``"Messages"``) or call (``"Calls"``) that was created."""
        with self.lock:
            return [r.form() for r in self.requests if r.status == 201 and r.path.endswith(f"/{kind}.json")]

    def error(self, status: int) -> tuple[int, dict[str, str], bytes]:
        code, text = self.MESSAGES.get(status, (20000 + status, "Error"))
        return _twilio_error(status, code, text)

    def respond(self, received: Received) -> tuple[int, dict[str, str], bytes]:
        match = self.PATH.match(received.path)
        if received.method != "POST" or match is None:
            return _twilio_error(404, 20404, f"The requested resource {received.path} was not found")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        given = received.headers.get("authorization", "")
        if not hmac.compare_digest(given, f"Basic {expected}") or match["sid"] != self.account_sid:
            return _twilio_error(401, 20003, "Authenticate")
        form = received.form()
        for name in ("To", "From"):
            if not self.E164.match(form.get(name, "")):
                return _twilio_error(400, 21211 if name == "To" else 21212, f"Invalid '{name}' Phone Number")
        base = f"/2010-04-01/Accounts/{self.account_sid}/{match['kind']}"
        common = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "date_created": "Sat, 05 Dec 2026 10:00:00 +0000",
            "date_updated": "Sat, 05 Dec 2026 10:00:00 +0000",
            "direction": "outbound-api",
            "from": form["From"],
            "to": form["To"],
            "status": "queued",
            "price": None,
            "price_unit": "USD",
        }
        if match["kind"] == "Messages":
            if not form.get("Body"):
                return _twilio_error(400, 21602, "Message body is required.")
            sid = "SM" + uuid.uuid4().hex
            answer = {
                **common,
                "sid": sid,
                "body": form["Body"],
                "num_segments": "1",
                "num_media": "0",
                "error_code": None,
                "error_message": None,
                "messaging_service_sid": None,
                "date_sent": None,
                "uri": f"{base}/{sid}.json",
                "subresource_uris": {"media": f"{base}/{sid}/Media.json"},
            }
        else:
            if not (form.get("Twiml") or form.get("Url")):
                return _twilio_error(400, 21205, "Url parameter is required.")
            sid = "CA" + uuid.uuid4().hex
            answer = {
                **common,
                "sid": sid,
                "parent_call_sid": None,
                "phone_number_sid": None,
                "start_time": None,
                "end_time": None,
                "duration": None,
                "answered_by": None,
                "caller_name": None,
                "uri": f"{base}/{sid}.json",
                "subresource_uris": {"notifications": f"{base}/{sid}/Notifications.json"},
            }
        return _json(201, answer)


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return _json(
        status,
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
    )


class ChatStub(LoopbackServer):
    """A chat/push endpoint over plain HTTP: takes whatever Apprise's JSON notifier (``json://``) or ntfy
    notifier (``ntfy://``, a self-hosted ntfy server) posts, and answers as ntfy does (200 with the event)."""

    def respond(self, received: Received) -> tuple[int, dict[str, str], bytes]:
        if received.method != "POST":
            return _json(405, {"code": 40501, "http": 405, "error": "method not allowed"})
        topic = received.path.strip("/")
        return _json(200, {"id": uuid.uuid4().hex[:12], "time": 1796464800, "event": "message", "topic": topic})


class WebhookStub(LoopbackServer):
    """A receiver of signed webhooks: checks ``X-SRE-Signature: sha256=<HMAC-SHA256(body, secret)>`` as a
    receiver is told to, answering 401 when it does not match and 200 when it does."""

    def __init__(self, *, secret: str) -> None:
        super().__init__()
        self.secret = secret
        self.verified: list[dict] = []  # bodies whose signature matched

    def respond(self, received: Received) -> tuple[int, dict[str, str], bytes]:
        expected = "sha256=" + hmac.new(self.secret.encode(), received.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(received.headers.get("x-sre-signature", ""), expected):
            return _json(401, {"error": "bad signature"})
        with self.lock:
            self.verified.append(received.json())
        return _json(200, {"ok": True})


@dataclass
class SmtpInbox:
    """An aiosmtpd handler keeping every message it accepted; ``refuse_next`` answers the next RCPT TO
    with an SMTP reply such as ``"550 5.1.1 No such user"`` or ``"451 4.3.0 Try again later"``."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse_next: str = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refuse_next:
            reply, self.refuse_next = self.refuse_next, ""
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port: yields ``(inbox, port)``."""
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
