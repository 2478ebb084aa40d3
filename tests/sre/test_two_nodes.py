"""Several nodes, proven: two gunicorn web nodes and two Celery workers of this checkout, each with its own
``var/`` and port, and beat, on one PostgreSQL database (created here) and one Redis database.

- A public incident update posted through node A shows on node B's ``/status/`` within the sync interval (B's
  copy comes from the database: ``statuspage.replica``; no shared volume).
- The same alert posted to both nodes at once pages once: one webhook delivery in the receiver and the ledger,
  one escalation page and one mail across both workers (and the web nodes' relays).
- A second beat started by mistake stands by (sends nothing) while the first runs, and takes over when it stops.
- With the database then cut away under the running processes (a proxy between them and PostgreSQL closes),
  both nodes still serve the last status page.

The app's processes reach PostgreSQL through :class:`TcpProxy`, so the test can take the database away without
restarting them. Needs PostgreSQL and Redis in both CI passes: it makes its own database (``<name>_two_nodes``)
and uses its own Redis database (``SRE_TWO_NODES_REDIS_DB``, default 12), flushed before and after.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from sre.beat import STANDBY_INTERVAL
from sre.models import Heartbeat
from statuspage.replica import PULL_INTERVAL
from tests.support.servers import free_port, stop_process, unavailable, wait_for
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SYNC_INTERVAL = 5  # SRE_STATUSPAGE_SYNC_INTERVAL for the nodes (its minimum)
SECRET = "two-nodes-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
UPDATE_TEXT = "Node A says: payments are recovering"

SEED = """
import json
from django.utils import timezone
from alerts.choices import ReceiverKind
from alerts.models import Route
from alerts.services.receivers import receiver_save
from oncall.choices import ContactKind, StepKind
from oncall.models import ContactMethod, RoutePolicy
from oncall.services.policies import policy_save
from sre.choices import Role
from django.contrib.auth import get_user_model
from sre.services import api_token_create, user_set_role
from statuspage.models import Component

User = get_user_model()
now = timezone.now()
admin = User.objects.create(username="ops", email="ops@example.com")
user_set_role(user=admin, role=Role.ADMIN)
_, token = api_token_create(user=admin, name="two-nodes", scopes=["ingest", "read", "write"], expires_at=None, now=now)
alice = User.objects.create(username="alice", email="alice@example.com")
user_set_role(user=alice, role=Role.RESPONDER)
ContactMethod.objects.create(user=alice, kind=ContactKind.EMAIL, address=alice.email, verified_at=now)
hook = receiver_save(receiver=None, data={"name": "hook", "kind": ReceiverKind.WEBHOOK, "url": HOOK_URL}, secret="s")
route = Route.objects.create(name="root", parent=None, receiver=hook, group_by=["alertname"], group_wait=0,
                             group_interval=60, repeat_interval=3600)
policy = policy_save(policy=None, data={"name": "payments", "steps": [
    {"kind": StepKind.NOTIFY_PERSONS, "persons": [alice.pk]}]})
RoutePolicy.objects.create(route=route, policy=policy)
component = Component.objects.create(name="Payments API")
print("SEED" + json.dumps({"token": token, "component": component.pk}))
"""


def _postgres_server() -> tuple[str, int, str, str]:
    """Host, port, user and the name for this test's database: the server of ``DATABASE_URL`` when it is
    PostgreSQL (CI's PostgreSQL pass), else the local one (the SQLite pass)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        name = (parts.path.lstrip("/") or "sre") + "_two_nodes"
        return parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres", name
    return "127.0.0.1", 5432, "postgres", "sre_two_nodes"


def _get(url: str, *, token: str = "", body: dict | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


class _Receiver(http.server.ThreadingHTTPServer):
    """Loopback webhook receiver: counts POSTs."""

    daemon_threads = True

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.bodies.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Cluster:
    """The processes of the test, each with its log file (shown when the test fails)."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], **extra: str) -> subprocess.Popen:
        var = self.tmp / name
        var.mkdir(exist_ok=True)
        log = (self.tmp / f"{name}.log").open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, "SRE_VAR_DIR": str(var), **extra}, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return process

    def web(self, name: str, port: int) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.start(name, [gunicorn, "sre.wsgi:application", "--config", "python:sre.gunicorn_conf",
                          "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"])  # fmt: skip

    def worker(self, name: str) -> None:
        self.start(name, [sys.executable, "-m", "celery", "-A", "sre", "worker", "--pool", "threads",
                          "--concurrency", "2", "--hostname", f"{name}@%h", "--loglevel", "WARNING",
                          "--without-gossip", "--without-mingle"])  # fmt: skip

    def beat(self, name: str) -> None:
        self.start(name, [sys.executable, "-m", "celery", "-A", "sre", "beat", "--loglevel", "INFO", "--pidfile="])

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def mails(self) -> list[Path]:
        """Mail files written by any process (each writes into its own var/mail)."""
        return [p for name in self.processes for p in (self.tmp / name / "mail").glob("*.log")]

    def stop(self, name: str) -> None:
        stop_process(self.processes[name], timeout=20)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for name in self.processes:
            self.stop(name)

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)[-2500:]}" for name in self.processes)


@contextmanager
def _database(host: str, port: int, user: str, name: str) -> Iterator[str]:
    admin = f"postgresql://{user}@{host}:{port}/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL at {host}:{port} is not reachable ({exc})")
    try:
        yield f"postgres://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis_url() -> str:
    url = f"redis://127.0.0.1:6379/{int(os.environ.get('SRE_TWO_NODES_REDIS_DB', '12'))}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        unavailable(f"Redis at 127.0.0.1:6379 is not reachable ({exc})")
    return url


def _sql(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=3) as conn:
        return conn.execute(query).fetchall()


def test_two_web_nodes_two_workers_and_two_beats(tmp_path: Path) -> None:
    host, pg_port, user, name = _postgres_server()
    broker = _redis_url()
    receiver = _Receiver()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with _database(host, pg_port, user, name) as direct:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SRE_", "CELERY_", "DJANGO_"))}
        base_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        base_env.pop("EMAIL_URL", None)
        base_env.update({
            "DATABASE_URL": direct, "CELERY_BROKER_URL": broker, "SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1",
            "SRE_ALERTS_ALLOW_PRIVATE_TARGETS": "1", "SRE_STATUSPAGE_SYNC_INTERVAL": str(SYNC_INTERVAL),
            "SRE_HEARTBEAT_INTERVAL": "1", "SRE_BASE_URL": "http://status.example",
        })  # fmt: skip
        manage = [sys.executable, "manage.py"]
        env = {**base_env, "SRE_VAR_DIR": str(tmp_path / "manage")}
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
        seeded = subprocess.run(
            [*manage, "shell", "-c", f"HOOK_URL = {hook_url!r}\n" + SEED],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        seed = json.loads(seeded.stdout.split("SEED", 1)[1])

        proxy = TcpProxy((host, pg_port))
        proxied = f"postgres://{user}@127.0.0.1:{proxy.port}/{name}"
        cluster = _Cluster(tmp_path, {**base_env, "DATABASE_URL": proxied})
        a, b = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
        try:
            cluster.web("web-a", int(a.rsplit(":", 1)[1]))
            cluster.web("web-b", int(b.rsplit(":", 1)[1]))
            cluster.worker("worker-1")
            cluster.worker("worker-2")
            cluster.beat("beat-1")

            def ready(base: str) -> bool:
                if any(p.poll() is not None for p in cluster.processes.values()):
                    pytest.fail("a process exited early\n" + cluster.logs())
                return _get(base + "/readyz")[0] == 200

            wait_for(lambda: ready(a) and ready(b), timeout=60, what="both web nodes ready")
            # Node B copies the first render (beat's timed sync, run by a worker) into its own var/.
            snapshot_b = tmp_path / "web-b" / "status-snapshot"
            wait_for(lambda: (snapshot_b / ".published").exists(), timeout=30, what="node B's first copy")

            # (a) A public update posted on node A shows on node B within the sync interval.
            token = seed["token"]
            status, body = _get(f"{a}/api/v1/incidents/", token=token, body={
                "title": "payments 5xx", "severity": "sev2",
                "components": [{"component": seed["component"], "status": "major_outage"}],
            })  # fmt: skip
            assert status == 201, body
            incident = json.loads(body)["id"]
            status, body = _get(f"{a}/api/v1/incidents/{incident}/updates/", token=token, body={
                "body": UPDATE_TEXT, "visibility": "public", "public_title": "Payments degraded",
            })  # fmt: skip
            assert status == 201, body
            posted = time.monotonic()
            wait_for(lambda: UPDATE_TEXT in _get(f"{b}/status/")[1], timeout=SYNC_INTERVAL + PULL_INTERVAL + 10,
                     what="the update on node B's status page")  # fmt: skip
            print(f"update visible on node B after {time.monotonic() - posted:.1f} s")
            assert UPDATE_TEXT in (snapshot_b / "index.html").read_text()

            # (c) The same alert posted to both nodes at once: one group, one delivery, one page, one mail.
            alert = {"labels": {"alertname": "PaymentsDown", "service": "payments"}, "status": "firing"}
            answers: list[int] = []
            senders = [
                threading.Thread(target=lambda n=node: answers.append(
                    _get(f"{n}/api/v1/alerts", token=token, body=alert)[0]))
                for node in (a, b)
            ]  # fmt: skip
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
            assert answers == [200, 200]
            wait_for(lambda: len(receiver.bodies) >= 1 and len(cluster.mails()) >= 1, timeout=30,
                     what="the webhook delivery and alice's mail")  # fmt: skip

            # (d) A second beat stands by while the first holds the lock, and takes over when it stops.
            cluster.beat("beat-2")
            wait_for(lambda: "standing by" in cluster.log("beat-2"), timeout=30, what="beat-2 standing by")
            beats = f"SELECT beats FROM {Heartbeat._meta.db_table} WHERE name = 'worker'"
            before = _sql(direct, beats)[0][0]
            wait_for(lambda: _sql(direct, beats)[0][0] >= before + 3, timeout=30, what="three more heartbeats")
            assert "Sending due task" in cluster.log("beat-1")
            assert "Sending due task" not in cluster.log("beat-2")
            cluster.stop("beat-1")
            wait_for(lambda: "Sending due task sre-heartbeat" in cluster.log("beat-2"),
                     timeout=STANDBY_INTERVAL + 20, what="beat-2 taking over")  # fmt: skip

            # Still exactly once, after the seconds the beats ran (ticks re-sweeping the outboxes meanwhile).
            assert len(receiver.bodies) == 1, receiver.bodies
            assert len(cluster.mails()) == 1, cluster.mails()
            assert _sql(direct, "SELECT count(*), min(state) FROM alerts_notification") == [(1, "delivered")]
            assert _sql(direct, "SELECT count(*) FROM alerts_deliveryattempt") == [(1,)]
            assert _sql(direct, "SELECT count(*) FROM oncall_page") == [(1,)]
            assert _sql(direct, "SELECT count(*), min(state) FROM oncall_personnotification") == [(1, "delivered")]

            # (b) The database goes away under the running processes: both nodes serve the last page.
            proxy.close()
            for node in (a, b):
                status, body = _get(node + "/readyz")
                assert status == 503 and "database" in json.loads(body)["failed"]
                status, page = _get(node + "/status/")
                assert status == 200 and UPDATE_TEXT in page and "Payments degraded" in page
                status, summary = _get(node + "/status/api/v2/summary.json")
                assert status == 200 and json.loads(summary)["incidents"][0]["name"] == "Payments degraded"
        except BaseException:
            print(cluster.logs())
            raise
        finally:
            proxy.close()
            cluster.stop_all()
            receiver.shutdown()
            redis.Redis.from_url(broker).flushdb()
