"""The outbound guard: one lookup, every address checked, the connection made to a checked address.

The rebinding resolver answers a public address for the receiver's name the first time and 127.0.0.1 after,
as a hostile DNS server would. A loopback receiver listens where the second answer points: with two lookups
(check, then connect) it would be called. ``connect()`` to the public address is refused in-process, so
nothing leaves the machine."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from django.utils import timezone

from alerts.models import Receiver
from alerts.senders import send_pagerduty, send_webhook
from sre.outbound import OutboundRefused, outbound_addresses, outbound_check, outbound_session
from statuspage.models import Subscriber
from statuspage.services.delivery import TransientDeliveryError, _send_webhook
from statuspage.services.notify import notification_queue
from statuspage.services.subscribers import subscriber_create
from tests.statuspage.receiver import webhook_receiver

HOST = "hooks.rebind.test"
PUBLIC = "93.184.216.34"  # a global address; the fake connect() refuses it, so it is never really contacted


def _answer(ip: str, port: int) -> list[tuple]:
    return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))]


@pytest.fixture
def dns(monkeypatch):
    """``dns.answers`` is what HOST resolves to, one item per lookup (the last repeats); ``dns.connects`` lists
    every address a socket connected to or tried."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
    state = SimpleNamespace(answers=[PUBLIC, "127.0.0.1"], lookups=0, connects=[])

    def getaddrinfo(host, port, *args, **kwargs):
        if host == HOST:
            state.lookups += 1
            return _answer(state.answers[min(state.lookups, len(state.answers)) - 1], port)
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(sock, address):
        state.connects.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return state


@pytest.fixture
def no_private(settings):
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": False}


def _port(receiver: dict) -> int:
    return int(receiver["url"].rsplit(":", 1)[1].split("/")[0])


def test_alert_webhook_connects_only_to_the_address_it_checked(dns, no_private) -> None:
    with webhook_receiver() as target:
        receiver = Receiver(name="hook", kind="webhook", url=f"http://{HOST}:{_port(target)}/hook", timeout_seconds=2)
        result = send_webhook(receiver, payload={"event": "trigger"})
        assert target["requests"] == []
    assert not result.ok and result.network_error
    assert dns.lookups == 1 and dns.connects == [PUBLIC]


def test_pagerduty_with_a_custom_url_connects_only_to_the_address_it_checked(dns, no_private) -> None:
    with webhook_receiver() as target:
        receiver = Receiver(
            pk=987654, name="pd", kind="pagerduty", url=f"https://{HOST}:{_port(target)}", timeout_seconds=2
        )
        receiver.routing_key = "R" * 32
        result = send_pagerduty(receiver, event="trigger", payload={"title": "t"}, dedup_key="k")
        assert target["requests"] == []
    assert not result.ok and result.network_error
    assert dns.connects == [PUBLIC]


def test_status_page_webhook_connects_only_to_the_address_it_checked(db, dns) -> None:
    with webhook_receiver() as target:
        url = f"http://{HOST}:{_port(target)}/hook"
        subscriber = subscriber_create(kind="webhook", url=url, allow_private=True, actor="t", now=timezone.now())
        Subscriber.objects.filter(pk=subscriber.pk).update(allow_private=False)
        subscriber.refresh_from_db()
        notification = notification_queue(
            subscriber=subscriber, kind="incident", event_key="e", payload={"json": {"a": 1}}, now=timezone.now()
        )
        dns.lookups = 0
        with pytest.raises(TransientDeliveryError):
            _send_webhook(notification)
        assert target["requests"] == []
    assert dns.lookups == 1 and dns.connects == [PUBLIC]


def test_a_private_first_answer_is_refused_before_any_connection(dns, no_private) -> None:
    dns.answers = ["127.0.0.1", PUBLIC]
    with webhook_receiver() as target:
        receiver = Receiver(name="hook", kind="webhook", url=f"http://{HOST}:{_port(target)}/hook", timeout_seconds=2)
        with pytest.raises(OutboundRefused, match=r"127\.0\.0\.1, a non-public address"):
            send_webhook(receiver, payload={})
        assert target["requests"] == []
    assert dns.connects == []


def test_allowed_private_target_is_reached_at_the_checked_address_with_its_name(dns) -> None:
    """With private targets allowed the guard still connects where it looked: 127.0.0.1 here, though the
    name now answers a public address; the request keeps the name in its Host header."""
    dns.answers = ["127.0.0.1", PUBLIC]
    with webhook_receiver() as target:
        port = _port(target)
        with outbound_session(allow_private=True) as session:
            response = session.post(f"http://{HOST}:{port}/hook", json={"a": 1}, timeout=5)
        assert response.status_code == 200
        assert [r["headers"]["Host"] for r in target["requests"]] == [f"{HOST}:{port}"]
    assert dns.lookups == 1 and dns.connects == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("javascript:alert(1)", "only http"),
        ("file:///etc/passwd", "only http"),
        ("http://user:pw@example.com/", "credentials"),
        ("http://localhost:8000/", "this machine"),
        ("http://127.0.0.1/", "non-public"),
        ("http://[::1]/", "non-public"),
        ("http://[::ffff:10.0.0.1]/", "non-public"),
        ("http://169.254.169.254/latest/meta-data/", "non-public"),
        ("http://10.1.2.3/", "non-public"),
    ],
)
def test_check_refuses(url: str, needle: str) -> None:
    with pytest.raises(OutboundRefused, match=needle):
        outbound_check(url, allow_private=False)


def test_every_address_is_checked_not_just_the_first(monkeypatch) -> None:
    answers = [*_answer(PUBLIC, 443), *_answer("10.0.0.7", 443)]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(OutboundRefused, match=r"10\.0\.0\.7"):
        outbound_addresses("mixed.example", 443, allow_private=False)
    assert outbound_addresses("mixed.example", 443, allow_private=True) == (PUBLIC, "10.0.0.7")
