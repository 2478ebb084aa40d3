"""The public page keeps answering when the control plane does not: served by nginx from the snapshot, and
by gunicorn (the WSGI fast path) with its PostgreSQL stopped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from statuspage.nginx import standalone_config
from statuspage.services import sync_run
from tests.statuspage.helpers import world
from tests.support.servers import free_port, port_open, require_binary, stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def fetch(url: str, *, data: bytes | None = None) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.integration
@pytest.mark.django_db
def test_nginx_serves_the_same_snapshot(snapshot_dir, tmp_path) -> None:
    nginx = require_binary("nginx", "/usr/sbin/nginx")
    world()
    sync_run(now=timezone.now())
    os.chmod(tmp_path, 0o755)
    work = tmp_path / "nginx"
    work.mkdir()
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(standalone_config(root=snapshot_dir, port=port, workdir=work, workers=1))
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work)], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: port_open("127.0.0.1", port) or process.poll() is not None, timeout=10, what="nginx")
        assert process.poll() is None, process.stderr.read().decode()
        base = f"http://127.0.0.1:{port}/status/"
        for path in ("", "api/v2/summary.json", "history.atom", "history/", "assets/status.css"):
            status, headers, body = fetch(base + path)
            assert status == 200, path
            expected = (snapshot_dir / (path + "index.html" if path == "" or path.endswith("/") else path)).read_bytes()
            assert body == expected, path
        status, headers, body = fetch(base + "api/v2/summary.json")
        assert headers["Content-Type"] == "application/json"
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert json.loads(body)["status"]["description"] == "Partial System Outage"
        assert fetch(base + "api/v2/nope.json")[0] == 404
    finally:
        stop_process(process)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.mark.integration
def test_page_answers_with_postgresql_stopped(tmp_path) -> None:
    """Done-when: with its own PostgreSQL stopped, gunicorn still answers /status/, summary.json and the
    feed with the last known state and its time; a subscription gets a 503, not a 500."""
    require_binary("postgres", str(PG_BIN / "postgres"))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # PostgreSQL runs as its own user, which cannot enter pytest's private tmp directories.
    scratch = Path(tempfile.mkdtemp(prefix="sre-statuspage-pg-"))
    os.chmod(scratch, 0o755)
    data = scratch / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        subprocess.run(["chown", "postgres", str(data)], check=True)
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    pg_port = free_port()
    postgres = subprocess.Popen(
        _as_postgres(
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(data),
                "-p",
                str(pg_port),
                "-k",
                str(data),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    web = None
    try:
        wait_for(lambda: port_open("127.0.0.1", pg_port), timeout=30, what="postgres")
        var = Path(tempfile.mkdtemp(dir=tmp_path))
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/postgres",
            "SRE_VAR_DIR": str(var),
            "SRE_STATUSPAGE_SYNC_ON_CHANGE": "0",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "SRE_BASE_URL": "http://status.example",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
        script = (
            "from django.utils import timezone\n"
            "from tests.statuspage.helpers import world\n"
            "from statuspage.services import sync_run\n"
            "world()\n"
            "print(sync_run(now=timezone.now()))\n"
        )
        subprocess.run([*manage, "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        web = subprocess.Popen(
            [
                str(gunicorn),
                "sre.wsgi:application",
                "--config",
                "python:sre.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: port_open("127.0.0.1", port), timeout=30, what="gunicorn")
        before = {
            path: fetch(base + path) for path in ("/status/", "/status/api/v2/summary.json", "/status/history.atom")
        }
        assert all(status == 200 for status, _, _ in before.values())

        # Ready before (its database and broker answer; no worker or beat runs here, and /readyz does not ask for one).
        assert fetch(base + "/readyz")[0] == 200
        # A fast shutdown: it ends the open sessions (the web node's status-page replica keeps one), where
        # SIGTERM's smart shutdown waits for them and, past stop_process's 10 s, killed only the runuser wrapper.
        stop = [str(PG_BIN / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w", "-t", "60"]
        subprocess.run(_as_postgres(stop), check=True, capture_output=True)
        postgres.wait(timeout=30)
        assert not port_open("127.0.0.1", pg_port)
        status, _, ready = fetch(base + "/readyz")
        assert status == 503 and json.loads(ready)["failed"] == ["database"]  # it knows its database is gone

        status, _, page = fetch(base + "/status/")
        assert status == 200 and page == before["/status/"][2]
        html = page.decode()
        assert "Partial System Outage" in html and "Elevated API errors" in html and "Updated <time" in html
        status, _, summary = fetch(base + "/status/api/v2/summary.json")
        assert status == 200
        document = json.loads(summary)
        assert document["status"]["indicator"] == "major" and document["page"]["updated_at"]
        assert [i["name"] for i in document["incidents"]] == ["Elevated API errors"]
        assert fetch(base + "/status/history.atom")[0] == 200
        status, _, _ = fetch(base + "/status/subscribe/", data=b"kind=email&email=a%40example.com")
        assert status == 503
    finally:
        if web is not None:
            stop_process(web)
        stop_process(postgres)
        shutil.rmtree(scratch, ignore_errors=True)
