"""``make run`` end to end: ``manage.py serve`` on the embedded defaults starts web, worker and beat; the login
page answers, the heartbeat turns recent, demo users sign in; SIGINT stops every process it started. The terminal
is quiet (no Celery INFO lines or banner, no access log) and ends with the addresses and the admin password,
which nothing routine follows; a 403 logs one line without a traceback; /favicon.ico answers."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from sre.management.commands.serve import child_commands, log_level
from tests.support.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    """All descendants of ``pid`` (by walking /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _get(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


@pytest.mark.integration
def test_serve_runs_everything_and_ctrl_c_stops_it_all(tmp_path: Path) -> None:
    port = free_port()
    skip = ("DATABASE_URL", "CELERY_BROKER_URL", "SRE_ENV", "SRE_BASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update({"SRE_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1", "SRE_HEARTBEAT_INTERVAL": "5"})
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--web-workers", "1", "--history-days", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def login_page_up() -> bool:
        if process.poll() is not None:
            pytest.fail("serve exited early:\n" + (tmp_path / "serve.log").read_text()[-3000:])
        return _get(base + "/accounts/login/")[0] == 200

    try:
        wait_for(login_page_up, timeout=120, what="login page")
        _, body = wait_for(
            lambda: (lambda r: r if r[0] == 200 else None)(_get(base + "/readyz")), timeout=90, what="readyz 200"
        )
        assert set(json.loads(body)["checks"]) == {"database", "broker"}  # this process only: no heartbeat
        output = wait_for(lambda: (lambda t: t if "─" * 64 + "\n" in t.split("running at")[-1] else None)(
            (tmp_path / "serve.log").read_text()), timeout=30, what="the closing rule of the banner")  # fmt: skip
        assert re.search(r"one-time password: \S+", output)
        assert f"running at http://127.0.0.1:{port}/" in output
        assert "Demo history: 1 d of traffic" in output.split("running at")[0]
        # serve said "running" only once the worker had run the first heartbeat: its age is on /metrics.
        metrics = _get(base + "/metrics")[1]
        age = float(re.search(r"^sre_background_heartbeat_age_seconds (\S+)$", metrics, re.M).group(1))
        assert 0 <= age < 120
        assert (tmp_path / "sre.sqlite3").exists() and (tmp_path / "celery" / "queue").is_dir()

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        _, login_page = _get(base + "/accounts/login/", opener)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "username": "demo-responder", "password": "sre-demo"}
        ).encode()
        request = urllib.request.Request(base + "/accounts/login/", data=form, headers={"Referer": base + "/"})
        with opener.open(request, timeout=10) as response:
            page = response.read().decode()
        assert 'data-testid="role">responder<' in page

        descendants = _children(process.pid)
        assert len(descendants) >= 3  # gunicorn master + worker, celery worker (+ pool), beat
        # Links sent out (PagerDuty, webhooks, mail) point at this port, not the default 8000.
        for pid in descendants:
            assert f"SRE_BASE_URL={base}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert process.returncode == 0, output[-3000:]
    assert "Stopped." in output
    # Quiet: the banner (URLs, demo users, the admin password) is the last thing before Ctrl-C, although the
    # test signed in, asked /readyz and the worker ran heartbeats every 5 s meanwhile.
    banner = output.split("running at")[-1]
    assert banner.index("one-time password") < banner.rindex("─" * 64) < banner.index("Stopping web, worker and beat")
    assert banner[banner.rindex("─" * 64) + 64 :].strip().startswith("Stopping web, worker and beat")
    assert " INFO " not in output and "celery@" not in output and "[tasks]" not in output
    assert "GET /accounts/login/" not in output  # no access log
    left = [pid for pid in descendants if _alive(pid)]
    assert not left, f"processes left running: {left}"


def test_children_log_at_warning_unless_asked() -> None:
    assert log_level(verbose=False, environ={}) == "WARNING"
    assert log_level(verbose=False, environ={"SRE_LOG_LEVEL": "error"}) == "ERROR"
    assert log_level(verbose=True, environ={"SRE_LOG_LEVEL": "error"}) == "INFO"
    quiet = child_commands(bind="127.0.0.1:1", web_workers=1, level="WARNING")
    assert quiet["worker"][quiet["worker"].index("--loglevel") + 1] == "WARNING" and "--quiet" in quiet["worker"]
    assert quiet["beat"][quiet["beat"].index("--loglevel") + 1] == "WARNING"
    assert quiet["web"][quiet["web"].index("--log-level") + 1] == "warning"
    verbose = child_commands(bind="127.0.0.1:1", web_workers=1, level="INFO")
    assert "--quiet" not in verbose["worker"] and verbose["worker"][verbose["worker"].index("--loglevel") + 1] == "INFO"


def test_a_403_logs_one_line_without_traceback(client, make_user, caplog) -> None:
    client.force_login(make_user("viewer"))
    with caplog.at_level("WARNING", logger="django.request"):
        response = client.get("/slos/new/")
    assert response.status_code == 403
    lines = [r for r in caplog.records if r.name == "django.request"]
    assert len(lines) == 1 and lines[0].getMessage() == "Forbidden (Permission denied): /slos/new/"
    assert lines[0].exc_info is None and "Traceback" not in caplog.text


def test_favicon_ico_answers_without_signing_in(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header
