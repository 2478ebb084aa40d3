"""sre.pagecache: the short shared cache of list pages, per role and query string, with one truth for a writer."""

from __future__ import annotations

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


def test_with_csrf_puts_the_viewers_own_token_in(make_user):
    request = _request(make_user(Role.ADMIN))
    out = pagecache.with_csrf(request, f'<input name="csrfmiddlewaretoken" value="{pagecache.CSRF_PLACEHOLDER}">')
    assert pagecache.CSRF_PLACEHOLDER not in out and len(out) > 60


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

    stored = cache.get(pagecache.key_for(_request(ana.user), "alerts:index"))
    stored = stored[1]  # (fresh until, value)
    assert pagecache.CSRF_PLACEHOLDER in stored[0]  # the cached cards: a placeholder ...
    assert token not in repr(stored) and bo.cookies["csrftoken"].value not in repr(stored)  # ... never a token
    import re

    values = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', stored[0]))
    assert values == {pagecache.CSRF_PLACEHOLDER}
    assert len(set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', first))) >= 1


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
