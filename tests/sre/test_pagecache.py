"""sre.pagecache: the short shared cache of list pages, per role and query string, with one truth for a writer."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from alerts.models import AlertGroup
from alerts.services import alert_raise
from sre import pagecache
from sre.choices import Role
from tests.alerts.factories import ReceiverFactory, RouteFactory

pytestmark = pytest.mark.django_db


def _request(user, path="/alerts/"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    return request


def test_shared_by_two_users_of_a_role_not_across_roles(make_user):
    calls = []

    def build():
        calls.append(1)
        return f"value {len(calls)}"

    ana, bo = make_user(Role.RESPONDER), make_user(Role.RESPONDER)
    viewer = make_user(Role.VIEWER)
    assert pagecache.cached(_request(ana), "t", build) == "value 1"
    assert pagecache.cached(_request(bo), "t", build) == "value 1"  # same role, same path: shared
    assert pagecache.cached(_request(viewer), "t", build) == "value 2"  # another role: its own
    assert len(calls) == 2


def test_key_holds_the_query_string_and_the_name(make_user):
    user = make_user(Role.ADMIN)
    keys = {
        pagecache.key_for(_request(user, "/alerts/"), "a"),
        pagecache.key_for(_request(user, "/alerts/?sort=newest"), "a"),
        pagecache.key_for(_request(user, "/alerts/?sort=oldest"), "a"),
        pagecache.key_for(_request(user, "/alerts/"), "b"),
    }
    assert len(keys) == 4
    assert pagecache.cached(_request(user, "/x/?q=1"), "n", lambda: "one") == "one"
    assert pagecache.cached(_request(user, "/x/?q=2"), "n", lambda: "two") == "two"


def test_a_writer_bypasses_the_cache_for_ttl_seconds(make_user):
    user = make_user(Role.RESPONDER)
    assert pagecache.cached(_request(user), "w", lambda: "old") == "old"
    writer = _request(user)
    writer.session[pagecache.WROTE_AT] = time.time()
    assert pagecache.cached(writer, "w", lambda: "new") == "new"  # built afresh for the writer
    assert pagecache.cached(_request(user), "w", lambda: "other") == "old"  # not stored: others keep theirs
    writer.session[pagecache.WROTE_AT] = time.time() - pagecache.TTL - pagecache.BYPASS_EXTRA - 1
    assert pagecache.cached(writer, "w", lambda: "later") == "old"  # the bypass ends after TTL


def test_one_rebuild_at_a_time_others_get_the_previous_value(make_user, monkeypatch):
    from django.core.cache import cache

    request = _request(make_user(Role.VIEWER))
    building = f"{pagecache.key_for(request, 's')}:building"
    assert pagecache.cached(request, "s", lambda: "first") == "first"
    later = time.time() + pagecache.TTL + 1  # the value is now stale (still kept GRACE seconds)
    monkeypatch.setattr(pagecache.time, "time", lambda: later)
    cache.add(building, 1)  # another request is rebuilding it
    assert pagecache.cached(request, "s", lambda: "second") == "first"
    cache.delete(building)
    assert pagecache.cached(request, "s", lambda: "third") == "third"  # nobody rebuilding: this one does
    assert pagecache.cached(request, "s", lambda: "fourth") == "third"
    assert cache.get(building) is None


@pytest.mark.parametrize(
    ("method", "status", "marked"), [("post", 302, True), ("post", 400, False), ("get", 200, False)]
)
def test_middleware_marks_a_successful_write(make_user, method, status, marked):
    request = getattr(RequestFactory(), method)("/alerts/bulk/")
    request.user = make_user(Role.RESPONDER)
    request.session = SessionStore()
    pagecache.WriteMarkMiddleware(lambda r: HttpResponse(status=status))(request)
    assert (pagecache.WROTE_AT in request.session) is marked


def test_signing_in_is_not_a_write(client, make_user):
    user = make_user(Role.ADMIN)
    user.set_password("pw-for-tests")
    user.save()
    response = client.post("/accounts/login/", {"username": user.username, "password": "pw-for-tests"})
    assert response.status_code == 302
    assert pagecache.WROTE_AT not in client.session


@pytest.fixture
def groups(db):
    RouteFactory(
        name="root", parent=None, receiver=ReceiverFactory(name="default"), group_by=["alertname"], group_wait=0
    )
    for name in ("DiskFull", "Checkout5xx"):
        alert_raise(
            labels={"alertname": name, "severity": "critical"},
            annotations={},
            status="firing",
            source="t",
            now=timezone.now(),
        )
    return {g.group_labels["alertname"]: g for g in AlertGroup.objects.all()}


def test_alert_list_shared_between_responders_each_with_their_own_token(session_client, groups):
    ana, bo = session_client(Role.RESPONDER), session_client(Role.RESPONDER)
    first = ana.get("/alerts/").content.decode()
    AlertGroup.objects.filter(pk=groups["DiskFull"].pk).update(state="resolved")  # a change nobody here made
    second = bo.get("/alerts/").content.decode()
    assert "DiskFull" in second  # bo got the list ana's request built (within TTL)
    token = ana.cookies["csrftoken"].value
    assert pagecache.CSRF_PLACEHOLDER not in first and pagecache.CSRF_PLACEHOLDER not in second
    assert ana.get("/alerts/", HTTP_HX_REQUEST="true").content.decode().count("csrfmiddlewaretoken") >= 2
    from django.core.cache import cache

    stored = cache.get(pagecache.key_for(_request(ana.user), "page:alerts:index"))
    content = stored[1][0]  # (fresh until, (whole page, content type))
    assert pagecache.CSRF_PLACEHOLDER in content and pagecache.USER_PLACEHOLDER in content  # placeholders ...
    assert token not in content and bo.cookies["csrftoken"].value not in content  # ... never a token
    assert ana.user.username not in content and bo.user.username not in content  # ... nor whose page it was

    assert set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)) == {pagecache.CSRF_PLACEHOLDER}
    assert len(set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', first))) >= 1


def test_a_shared_page_carries_each_viewers_own_name_token_and_heartbeat(session_client, groups):
    from django.core.cache import cache

    from sre.services import heartbeat_record

    ana, bo = session_client(Role.RESPONDER), session_client(Role.RESPONDER)
    first = ana.get("/alerts/").content.decode()
    heartbeat_record(name="worker", hostname="t", now=timezone.now() - dt.timedelta(minutes=5))  # after ana's build
    cache.delete("sre:heartbeat-seen:worker")  # the shell reads the beat through the cache for 2 s
    second = bo.get("/alerts/").content.decode()
    assert f'<span class="user">{ana.user.username} ' in first and bo.user.username not in first
    assert f'<span class="user">{bo.user.username} ' in second and ana.user.username not in second
    assert "worker: no heartbeat yet" in first  # the top bar is not shared: bo's shows the beat made since
    assert 300 <= int(re.search(r"worker (\d+)s ago", second).group(1)) < 400
    assert bo.cookies["csrftoken"].value and ana.cookies["csrftoken"].value != bo.cookies["csrftoken"].value
    # the page bo was served came from ana's build: the list (changed since) is not rebuilt for him
    assert first.split("<main", 1)[1].count("DiskFull") == second.split("<main", 1)[1].count("DiskFull")
    response = bo.post(
        "/alerts/bulk/", {"csrfmiddlewaretoken": _form_token(second), "action": "acknowledge", "group": "999999"}
    )
    assert response.status_code == 302  # the token put into the shared page is bo's own (CSRF checks are on)


def _form_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_page_with_a_message_waiting_or_not_200_is_not_shared(session_client, groups):
    from django.contrib.messages.storage.session import SessionStorage
    from django.core.cache import cache

    ana = session_client(Role.RESPONDER)
    assert ana.get("/alerts/groups/999999/").status_code == 404
    assert cache.get(pagecache.key_for(_request(ana.user, "/alerts/groups/999999/"), "page:alerts:group")) is None
    missing = ana.get("/alerts/groups/999999/").content.decode()
    assert pagecache.CSRF_PLACEHOLDER not in missing and pagecache.USER_PLACEHOLDER not in missing
    assert ana.user.username in missing  # a page not shared is still personalised
    waiting = _request(ana.user)
    waiting.session[SessionStorage.session_key] = "[]"  # a message stored before a redirect
    waiting.COOKIES = {}
    assert pagecache.page(waiting, "m", lambda: HttpResponse("for ana alone")).content == b"for ana alone"
    assert cache.get(pagecache.key_for(waiting, "page:m")) is None
    plain = _request(ana.user)
    plain.COOKIES = {}
    assert pagecache.page(plain, "m", lambda: HttpResponse("shared")).content == b"shared"
    assert cache.get(pagecache.key_for(plain, "page:m"))[1] == ("shared", "text/html; charset=utf-8")
    assert pagecache.page(plain, "m", lambda: HttpResponse("rebuilt")).content == b"shared"


def test_placeholders_are_secret_so_typed_text_cannot_receive_a_token(settings):
    assert pagecache.CSRF_PLACEHOLDER != "pagecache-csrf-placeholder-7f3a"
    assert settings.SECRET_KEY[:8] not in pagecache.CSRF_PLACEHOLDER
    settings.SECRET_KEY = "another key for this test only, 50 characters long!!"
    assert pagecache._placeholder("csrf") != pagecache.CSRF_PLACEHOLDER


def test_who_acknowledged_sees_it_at_once(session_client, groups):
    ana, bo = session_client(Role.RESPONDER), session_client(Role.RESPONDER)
    ana.get("/alerts/")
    assert "Acknowledged by" not in bo.get("/alerts/").content.decode()
    group = groups["DiskFull"]
    token = ana.cookies["csrftoken"].value
    response = ana.post(f"/alerts/groups/{group.pk}/acknowledge/", {"csrfmiddlewaretoken": token, "next": "/alerts/"})
    assert response.status_code == 302
    assert "Acknowledged by" in ana.get("/alerts/").content.decode()  # the writer: afresh
    assert "Acknowledged by" not in bo.get("/alerts/").content.decode()  # others: within TTL seconds


def test_sessions_come_from_a_shared_redis_cache_and_signing_out_ends_them_there(tmp_path, make_user, settings):
    """With CACHE_URL (Redis: every process sees one copy) a session is read from the cache and the database only
    on a miss; the local-memory default keeps sessions in the database (a per-process copy could outlive a sign-out
    made through another worker). A sign-out deletes the cached copy, so the old cookie no longer signs anyone in."""
    import subprocess
    import sys

    from django.test import Client

    from tests.support.servers import port_open, unavailable

    for cache_url, engine in (("", "backends.db"), ("redis://127.0.0.1:6379/9", "backends.cached_db")):
        env = {k: v for k, v in __import__("os").environ.items() if k != "CACHE_URL"}
        env.update({"SRE_VAR_DIR": str(tmp_path), **({"CACHE_URL": cache_url} if cache_url else {})})
        shown = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from django.conf import settings; print(settings.SESSION_ENGINE)",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert shown.strip().endswith(engine), (cache_url, shown)
    if not port_open("127.0.0.1", 6379):
        unavailable("no Redis on 127.0.0.1:6379")
        return
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/9"}
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    from django.core.cache import cache

    cache.clear()  # database 9 of the local Redis: nothing from an earlier run
    user = make_user(Role.VIEWER)
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    assert client.get("/incidents/").status_code == 200
    from django.contrib.sessions.models import Session

    assert Session.objects.filter(session_key=cookie).exists()
    client.post("/accounts/logout/")
    again = Client()
    again.cookies["sessionid"] = cookie
    assert again.get("/incidents/").status_code == 302  # to the sign-in page: the cached copy went with it


def test_htmx_partials_are_kept_apart_by_the_headers_value(session_client, groups):
    """A request saying ``HX-Request: false`` gets (and leaves in the cache) a whole page; the live refresh's
    ``HX-Request: true`` must still get its partial, not that page inside the list."""
    ana, bo = session_client(Role.RESPONDER), session_client(Role.RESPONDER)
    assert "<html" in ana.get("/", HTTP_HX_REQUEST="false").content.decode()  # the Overview's partial needs "true"
    for path in ("/", "/alerts/", "/slos/", "/statuspage/"):  # the pages with a live partial
        ana.get(path, HTTP_HX_REQUEST="false")
        assert "<html" not in bo.get(path, HTTP_HX_REQUEST="true").content.decode(), path
