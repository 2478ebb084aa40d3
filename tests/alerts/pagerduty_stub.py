"""A loopback HTTPS server that answers like PagerDuty's Events API v2 (the SaaS cannot be reached here).

It applies PagerDuty's dedup semantics per ``dedup_key`` (a trigger on an open incident is merged, ack and
resolve change state once) and records every request and every state transition, so tests can check what a
real PagerDuty would have done. Behaviour is driven by the test: ``fail_next(503, n)``, ``refuse()``
(closes the listening socket), ``restore()``, ``hold_next()`` (keeps the next request waiting).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import free_port


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class PagerDutyStub:
    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="pd-stub-")
        self.cert, self.key = self_signed_cert(Path(self._dir.name))
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # every request that reached us, with the status we answered
        self.headers: list[dict[str, str]] = []  # their headers, lower-case names
        self.transitions: list[tuple[str, str]] = []  # (dedup_key, new state) as PagerDuty would record
        self.incidents: dict[str, str] = {}
        self._failures: list[int] = []
        self._hold = threading.Event()
        self._hold.set()
        self.held = threading.Event()
        self._hold_next = False
        self._refusing = False  # between refuse() and restore(): a request a handler still reads gets no answer
        self.server: ThreadingHTTPServer | None = None
        self._connections: set = set()  # open keep-alive connections, closed by refuse()
        self.restore()

    # --- behaviour ---------------------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self._failures.extend([status] * times)

    def clear_failures(self) -> None:
        with self.lock:
            self._failures.clear()

    def hold_next(self) -> None:
        """The next request waits (after being recorded as received) until ``release()``."""
        self._hold_next = True
        self._hold.clear()
        self.held.clear()

    def release(self) -> None:
        self._hold.set()

    def refuse(self) -> None:
        """Stop listening: connections are refused until ``restore()``. A request a handler thread has already read
        is dropped unanswered (PagerDuty going away mid-request), not accepted: the client never hears a 202 for it,
        so recording it as accepted would count a retry of it as a second delivery."""
        with self.lock:
            self._refusing = True
        if self.server is not None:
            self.server.shutdown()
            with self.lock:
                connections = list(self._connections)
            for connection in connections:  # PagerDuty going away drops kept-alive connections too
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.server.server_close()
            self.server = None

    def restore(self) -> None:
        with self.lock:
            self._refusing = False
        if self.server is not None:
            return
        stub = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 with keep-alive, as PagerDuty's endpoint answers: a client reuses its connection.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with stub.lock:
                    stub._connections.add(self.connection)

            def finish(self) -> None:
                with stub.lock:
                    stub._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                with stub.lock:
                    stub.headers.append({k.lower(): v for k, v in self.headers.items()})
                status, answer = stub._answer(self.path, body)
                if status == 0:  # refusing: drop the connection unanswered
                    self.close_connection = True
                    return
                if stub._hold_next:
                    stub._hold_next = False
                    stub.held.set()
                    stub._hold.wait(60)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.allow_reuse_address = True
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.server = server

    def close(self) -> None:
        self.release()
        self.refuse()
        self._dir.cleanup()

    # --- PagerDuty semantics -----------------------------------------------------------------------
    def _answer(self, path: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            record = {"path": path, "body": body, "at": dt.datetime.now(dt.UTC)}
            self.requests.append(record)
            if self._refusing:
                record["status"] = 0
                return 0, {}
            if self._failures:
                record["status"] = self._failures.pop(0)
                return record["status"], {"status": "error", "message": "stub failure"}
            if path != "/v2/enqueue" or body.get("event_action") not in ("trigger", "acknowledge", "resolve"):
                record["status"] = 400
                return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["bad"]}
            if not body.get("routing_key"):
                record["status"] = 400
                return 400, {"status": "invalid event", "message": "routing_key missing", "errors": ["routing_key"]}
            key = body.get("dedup_key") or f"generated-{len(self.requests)}"
            action = body["event_action"]
            current = self.incidents.get(key)
            new = {
                "trigger": "triggered" if current in (None, "resolved") else current,
                "acknowledge": "acknowledged" if current == "triggered" else current,
                "resolve": "resolved" if current in ("triggered", "acknowledged") else current,
            }[action]
            if new is not None and new != current:
                self.incidents[key] = new
                self.transitions.append((key, new))
            record["status"] = 202
            return 202, {"status": "success", "message": "Event processed", "dedup_key": key}

    def accepted(self) -> list[dict]:
        with self.lock:
            return [r["body"] for r in self.requests if r.get("status") == 202]
