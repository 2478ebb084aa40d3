"""The alert list built for triage (/alerts/): titles, severity order, filters in the URL, who is on it, the last
notification, bulk acknowledge / silence / resolve (roles, CSRF, partial skips), query-count bounds, and pages that
show a viewer no action that would answer 403."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from alerts import views_triage
from alerts.models import AlertGroup, DeliveryAttempt, Notification, Silence
from alerts.services import alert_raise, group_acknowledge

POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*>', re.IGNORECASE)


def csrf(client, url="/alerts/"):
    client.get(url)
    return client.cookies["csrftoken"].value


def fire(name, *, severity="", service="", summary="", minutes=1, **labels) -> AlertGroup:
    full = {"alertname": name, **labels}
    if severity:
        full["severity"] = severity
    if service:
        full["service"] = service
    annotations = {"summary": summary} if summary else {}
    at = timezone.now() - timedelta(minutes=minutes)
    alert_raise(labels=full, annotations=annotations, status="firing", source="test", now=at)
    return AlertGroup.objects.get(group_labels__alertname=name)


def ledger(group: AlertGroup, *, outcome: str, minutes: int = 1, http_status: int | None = None) -> DeliveryAttempt:
    """One delivery attempt in the ledger (deliveries run after commit, which these transactional tests never do)."""
    at = timezone.now() - timedelta(minutes=minutes)
    notification = Notification.objects.create(
        receiver=group.receiver, group=group, event="trigger", dedup_key=group.dedup_key, payload_hash="h",
        next_attempt_at=at, created_at=at,
    )  # fmt: skip
    return DeliveryAttempt.objects.create(
        notification=notification, receiver=group.receiver, group=group, number=1, event="trigger",
        dedup_key=group.dedup_key, payload_hash="h", outcome=outcome, http_status=http_status, started_at=at,
    )  # fmt: skip


def positions(body: str, *needles: str) -> list[int]:
    found = [body.find(needle) for needle in needles]
    assert all(index >= 0 for index in found), dict(zip(needles, found, strict=True))
    return found


def action_forms(body: str) -> list[str]:
    """POST forms on a page other than the sign-out form in the top bar."""
    return [form for form in POST_FORM.findall(body) if "/logout" not in form]


def test_cards_show_title_severity_age_service_and_sort_by_severity_then_age(session_client, root_route):
    fire("DiskFull", severity="warning", service="db", minutes=180, instance="db-1")
    fire("Checkout5xx", severity="critical", service="checkout", summary="Checkout 5xx above 5%", minutes=5)
    fire("OldCritical", severity="critical", service="checkout", summary="Payments down", minutes=60)
    fire("Chatty", severity="info", minutes=1)
    fire("Unlabelled", minutes=600)
    body = session_client("viewer").get("/alerts/").content.decode()
    # Title: the summary when there is one (the alertname beside it), else the alertname and identifying labels.
    assert "Checkout 5xx above 5%" in body and "Checkout5xx" in body
    assert "DiskFull · instance=db-1" in body
    assert "Critical</span>" in body and "Warning</span>" in body and "No severity</span>" in body
    assert "Firing for <strong>3 h</strong>" in body and "service <strong>checkout</strong>" in body
    assert "Not acknowledged" in body
    # Worst first; the longest-firing first within a severity; no severity last.
    order = positions(body, "Payments down", "Checkout 5xx above 5%", "DiskFull", "Chatty", "Unlabelled")
    assert order == sorted(order)
    newest = session_client("viewer").get("/alerts/?sort=newest").content.decode()
    order = positions(newest, "Chatty", "Checkout 5xx above 5%", "Payments down", "DiskFull", "Unlabelled")
    assert order == sorted(order)
    oldest = session_client("viewer").get("/alerts/?sort=oldest").content.decode()
    order = positions(oldest, "Unlabelled", "DiskFull", "Payments down", "Checkout 5xx above 5%", "Chatty")
    assert order == sorted(order)


def test_title_without_summary_names_the_labels_that_differ(session_client, root_route):
    fire("DiskFull", severity="warning", instance="db-1", job="node")
    fire("DiskFull", severity="critical", instance="db-2", job="node")
    body = session_client("viewer").get("/alerts/").content.decode()
    assert "DiskFull · instance: db-2, db-1" in body
    assert "job:" not in body  # scrape noise is left out
    assert "Critical</span>" in body  # the worst of the group's alerts


def test_filters_live_in_the_url_and_the_live_refresh_keeps_them(session_client, root_route):
    fire("Checkout5xx", severity="critical", service="checkout")
    fire("SearchSlow", severity="warning", service="search")
    fire("CheckoutTicket", severity="ticket", service="checkout")
    client = session_client("viewer")
    query = "severity=critical&service=checkout&sort=newest"
    body = client.get(f"/alerts/?{query}").content.decode()
    assert "Checkout5xx" in body and "SearchSlow" not in body and "CheckoutTicket" not in body
    # The live refresh asks for the same view; so does the way back after a bulk action.
    assert f'hx-get="/alerts/?{query.replace("&", "&amp;")}"' in body
    partial = client.get(f"/alerts/?{query}", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Checkout5xx" in partial and "SearchSlow" not in partial
    # The service filter offers the services that have open groups; the summary says the filters in words.
    assert "<option selected>checkout</option>" in body and "<option>search</option>" in body
    assert "severity critical · service checkout · by newest first" in body
    assert "Clear filters" in body
    # States: resolved groups only when asked for.
    assert "SearchSlow" in client.get("/alerts/?service=search").content.decode()
    assert "No alert groups match these filters" in client.get("/alerts/?state=resolved").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "show=7",
        "show=x",
        "sort=bogus",
        "severity=nope",
        "state=exploded",
        "labels=%3D%3D",
        "service=" + "x" * 5000,
        "receiver=%00",
    ],
)
def test_bad_filter_values_fall_back_instead_of_failing(session_client, root_route, query):
    fire("Checkout5xx", severity="critical", service="checkout")
    response = session_client("viewer").get(f"/alerts/?{query}")
    assert response.status_code == 200
    assert 'data-testid="group-row"' in response.content.decode() and "Checkout5xx" in response.content.decode()


def test_first_fifty_then_a_link_to_show_more(session_client, root_route):
    for n in range(52):
        fire(f"Alert{n:02d}", severity="warning", minutes=n)
    client = session_client("viewer")
    body = client.get("/alerts/?sort=newest").content.decode()
    assert body.count('data-testid="group-row"') == 50
    assert "Showing the first 50 of 52 groups." in body and 'href="?sort=newest&amp;show=200">Show all 52</a>' in body
    more = client.get("/alerts/?sort=newest&show=200").content.decode()
    assert more.count('data-testid="group-row"') == 52 and "52 groups" in more
    assert 'hx-get="/alerts/?sort=newest&amp;show=200"' in more  # the live refresh keeps showing them all


def test_empty_list_says_what_to_do(session_client, db):
    body = session_client("viewer").get("/alerts/").content.decode()
    assert "Nothing is firing" in body and "POST /api/v1/alerts/alertmanager" in body


def test_who_is_on_it_and_the_last_notification(session_client, root_route, make_user):
    group = fire("Checkout5xx", severity="critical", service="checkout", summary="Checkout 5xx")
    group_acknowledge(group_id=group.pk, actor="rosa", now=timezone.now())
    client = session_client("viewer")
    body = client.get("/alerts/").content.decode()
    assert "Acknowledged by <strong>rosa</strong>" in body
    assert "Notification to default queued" in body and "no delivery attempt yet" in body
    ledger(group, outcome="retry", minutes=9, http_status=503)
    ledger(group, outcome="success", minutes=2, http_status=202)
    cache.clear()  # the list is shared for sre.pagecache.TTL seconds; a delivery is not this viewer's write
    body = client.get("/alerts/").content.decode()
    assert "Last notification: Trigger to default, success (HTTP 202)" in body and "2 min ago" in body
    assert "HTTP 503" not in body


def test_escalation_step_comes_from_the_named_oncall_reader(session_client, root_route, monkeypatch):
    group = fire("Checkout5xx", severity="critical")
    calls = []

    def reader(*, group_ids):
        calls.append(list(group_ids))
        return {
            group.pk: {
                "policy": "Primary",
                "state": "active",
                "state_label": "Escalating",
                "step": 2,
                "steps": 3,
                "due_at": None,
                "paged": ["ana", "bo"],
            }
        }

    monkeypatch.setattr(views_triage, "ESCALATION_READER", f"{__name__}.READER")
    monkeypatch.setitem(globals(), "READER", reader)
    body = session_client("viewer").get("/alerts/").content.decode()
    assert calls == [[group.pk]]
    assert "Escalating: step 2 of 3" in body and "paged ana, bo" in body
    # Without the oncall app (the name does not import) the list still works, with no step shown.
    monkeypatch.setattr(views_triage, "ESCALATION_READER", "nowhere.reader")
    cache.clear()  # the list is shared for sre.pagecache.TTL seconds
    body = session_client("viewer").get("/alerts/").content.decode()
    assert "Checkout5xx" in body and "Escalating" not in body


def test_oncall_reader_reads_the_real_escalation_state(session_client, root_route):
    """The default name resolves to oncall's selector (oncall imports alerts, so alerts names it)."""
    from oncall.selectors import group_escalation_steps

    assert views_triage._escalation_reader() is group_escalation_steps
    group = fire("Checkout5xx", severity="critical")
    assert group_escalation_steps(group_ids=[]) == {}
    assert group_escalation_steps(group_ids=[group.pk]) == {}  # no policy covers it: no escalation


# Bulk actions ---------------------------------------------------------------------------------------------------


def test_bulk_needs_responder_and_csrf(session_client, root_route):
    group = fire("Checkout5xx", severity="critical")
    viewer = session_client("viewer")
    token = csrf(viewer)
    data = {"action": "acknowledge", "group": [group.pk], "csrfmiddlewaretoken": token}
    assert viewer.post("/alerts/bulk/", data).status_code == 403
    responder = session_client("responder")
    assert responder.post("/alerts/bulk/", {"action": "acknowledge", "group": [group.pk]}).status_code == 403
    group.refresh_from_db()
    assert group.state == "firing"
    assert responder.get("/alerts/bulk/").status_code == 405


def test_bulk_acknowledge_says_what_was_done_and_what_was_skipped(session_client, root_route):
    first = fire("Checkout5xx", severity="critical")
    second = fire("SearchSlow", severity="warning")
    done_before = fire("DiskFull", severity="warning")
    group_acknowledge(group_id=done_before.pk, actor="ana", now=timezone.now())
    client = session_client("responder")
    token = csrf(client)
    response = client.post(
        "/alerts/bulk/",
        {
            "action": "acknowledge",
            "group": [first.pk, second.pk, done_before.pk, 999999],
            "next": "/alerts/?severity=critical&sort=newest",
            "csrfmiddlewaretoken": token,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/alerts/?severity=critical&sort=newest"
    text = response.content.decode()
    assert f"Acknowledged 2 groups (#{first.pk}, #{second.pk})." in text
    assert f"Skipped 2: #{done_before.pk}: Already acknowledged by ana; #999999: No such alert group." in text
    for group in (first, second):
        group.refresh_from_db()
        assert group.state == "acknowledged" and group.acknowledged_by == client.user.username
        assert group.events.filter(kind="acknowledged", actor=client.user.username).exists()
    done_before.refresh_from_db()
    assert done_before.acknowledged_by == "ana"


def test_bulk_silence_and_resolve(session_client, root_route):
    first = fire("Checkout5xx", severity="critical", service="checkout")
    second = fire("SearchSlow", severity="warning", service="search")
    client = session_client("responder")
    token = csrf(client)
    body = {"action": "silence", "group": [first.pk, second.pk], "duration_hours": "4", "csrfmiddlewaretoken": token}
    text = client.post("/alerts/bulk/", {**body, "comment": "known, fix deploying"}, follow=True).content.decode()
    assert f"Silenced 2 groups for 4 h (#{first.pk}, #{second.pk})." in text
    assert Silence.objects.count() == 2
    silence = next(
        s
        for s in Silence.objects.all()
        if {"name": "alertname", "value": "Checkout5xx", "isRegex": False, "isEqual": True} in s.matchers
    )
    assert silence.comment == "known, fix deploying" and silence.created_by == client.user.username
    assert timedelta(hours=3, minutes=59) < silence.ends_at - silence.starts_at <= timedelta(hours=4)
    first.refresh_from_db()
    assert first.state == "silenced"
    # Silencing again skips what is silenced already (no second silence).
    text = client.post("/alerts/bulk/", body, follow=True).content.decode()
    assert "No group was silenced." in text and "already silenced" in text
    assert Silence.objects.count() == 2
    # Resolve: every alert of each group, each through group_resolve.
    text = client.post(
        "/alerts/bulk/",
        {"action": "resolve", "group": [first.pk, second.pk], "csrfmiddlewaretoken": token},
        follow=True,
    ).content.decode()
    assert "Resolved 2 groups" in text
    assert set(AlertGroup.objects.values_list("state", flat=True)) == {"resolved"}
    text = client.post(
        "/alerts/bulk/", {"action": "resolve", "group": [first.pk], "csrfmiddlewaretoken": token}, follow=True
    ).content.decode()
    assert f"#{first.pk}: This group is already resolved" in text


def test_bulk_silence_re_evaluates_the_open_groups_once(session_client, root_route, monkeypatch):
    from alerts.services import notify

    groups = [fire(f"Alert{n}", severity="warning") for n in range(4)]
    flushed: list[int] = []
    real = notify.group_flush

    def counting(*, group_id, now, **kwargs):
        flushed.append(group_id)
        return real(group_id=group_id, now=now, **kwargs)

    monkeypatch.setattr(notify, "group_flush", counting)
    client = session_client("responder")
    token = csrf(client)
    chosen = [g.pk for g in groups[:3]]
    text = client.post(
        "/alerts/bulk/", {"action": "silence", "group": chosen, "csrfmiddlewaretoken": token}, follow=True
    ).content.decode()
    assert "Silenced 3 groups for 2 h" in text
    assert sorted(flushed) == sorted(g.pk for g in groups)  # each open group once, not once per new silence
    assert Silence.objects.filter(comment=f"Silenced from the alert list by {client.user.username}.").count() == 3
    assert sorted(AlertGroup.objects.values_list("state", flat=True)) == ["firing", "silenced", "silenced", "silenced"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "acknowledge"}, "Choose at least one group first."),
        ({"action": "explode", "group": ["1"]}, "Select a valid choice"),
        ({"action": "acknowledge", "group": ["1; drop"]}, "Group ids are whole numbers."),
        ({"action": "acknowledge", "group": ["\u00b2"]}, "Group ids are whole numbers."),  # isdigit() but not int()
        ({"action": "acknowledge", "group": ["\u0661"]}, "Group ids are whole numbers."),  # Arabic-Indic 1, not #1
        ({"action": "silence", "group": ["1"], "duration_hours": "-1"}, "greater than or equal to 0.05"),
    ],
)
def test_bulk_refuses_bad_input_with_a_message(session_client, root_route, data, message):
    group = fire("Checkout5xx", severity="critical")
    client = session_client("responder")
    token = csrf(client)
    response = client.post("/alerts/bulk/", {**data, "csrfmiddlewaretoken": token}, follow=True)
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode() and message in response.content.decode()
    group.refresh_from_db()
    assert group.state == "firing"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/alerts/",
        "/admin/",
        "/alerts/\\\\evil",
        "/alerts/../admin/",
        "/alerts/%2e%2E/admin/",  # browsers resolve encoded dot segments too
        "/alerts/\r\nX: y",
    ],
)
@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "one-group"])
def test_actions_go_back_only_to_alerts_pages(session_client, root_route, target, bulk):
    group = fire("Checkout5xx", severity="critical")
    client = session_client("responder")
    token = csrf(client)
    url, data = ("/alerts/bulk/", {"group": [group.pk]}) if bulk else (f"/alerts/groups/{group.pk}/acknowledge/", {})
    response = client.post(url, {**data, "action": "acknowledge", "next": target, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    group.refresh_from_db()
    assert group.state == "acknowledged"
    # A page of alerts with its filters is kept.
    kept = "/alerts/?labels=instance%3D%22db-1%22&sort=oldest"
    response = client.post(url, {**data, "action": "acknowledge", "next": kept, "csrfmiddlewaretoken": token})
    assert response["Location"] == kept


# Roles on the pages ---------------------------------------------------------------------------------------------


def test_viewer_sees_no_action_that_would_be_refused(session_client, root_route):
    group = fire("Checkout5xx", severity="critical", summary="Checkout 5xx")
    viewer = session_client("viewer")
    pages = [
        "/alerts/",
        f"/alerts/groups/{group.pk}/",
        "/alerts/silences/",
        "/alerts/silences/new/",
        "/alerts/maintenance/",
        "/alerts/receivers/",
        f"/alerts/receivers/{root_route.receiver_id}/",
        f"/alerts/routes/{root_route.pk}/",
        "/alerts/notifications/",
    ]
    for url in pages:
        body = viewer.get(url).content.decode()
        assert action_forms(body) == [], url
        for word in (
            "Acknowledge</button>",
            "Resolve</button>",
            ">Silence<",
            "Delete",
            "New silence</a>",
            "Save</button>",
        ):
            assert word not in body, (url, word)
    # The routes page keeps the route tester (it changes nothing; viewers may use it) and nothing else.
    routes = viewer.get("/alerts/routes/").content.decode()
    assert action_forms(routes) == ['<form method="post" action="/alerts/routes/test/">']
    # Where actions are hidden, the page says who may take them.
    assert "responders and admins acknowledge, silence and resolve" in viewer.get("/alerts/").content.decode()
    assert "responders and admins acknowledge" in viewer.get(f"/alerts/groups/{group.pk}/").content.decode()
    silence = Silence.objects.create(
        matchers=[{"name": "a", "value": "b", "isRegex": False, "isEqual": True}],
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        created_by="x",
        comment="y",
    )
    expire = viewer.get(f"/alerts/silences/{silence.pk}/expire/").content.decode()
    assert action_forms(expire) == [] and "Responders and admins can expire silences" in expire


def test_responder_sees_triage_actions_but_not_admin_configuration(session_client, root_route):
    group = fire("Checkout5xx", severity="critical")
    responder = session_client("responder")
    body = responder.get("/alerts/").content.decode()
    assert 'action="/alerts/bulk/"' in body and f'value="{group.pk}" form="bulk"' in body
    assert f"/alerts/groups/{group.pk}/acknowledge/" in body
    assert "Resolve every alert of the chosen groups" in body  # resolve asks first
    receivers = responder.get("/alerts/receivers/").content.decode()
    assert "Send test notification" in receivers and "New receiver" not in receivers
    routes = responder.get("/alerts/routes/").content.decode()
    assert "Add child" not in routes and "Import and replace" not in routes
    admin = session_client("admin")
    assert "Add child" in admin.get("/alerts/routes/").content.decode()
    assert "New receiver" in admin.get("/alerts/receivers/").content.decode()


def test_times_are_in_words_or_localised_not_raw(session_client, root_route):
    group = fire("Checkout5xx", severity="critical")
    client = session_client("responder")
    for url in ("/alerts/", f"/alerts/groups/{group.pk}/", "/alerts/notifications/"):
        body = client.get(url).content.decode()
        visible = re.sub(r"<[^>]+>", " ", body)  # attributes (datetime=, title=) may hold exact times
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", visible), url
        assert "in_flight" not in visible and ">acknowledged<" not in body, url


# Query counts ---------------------------------------------------------------------------------------------------


def test_list_and_group_page_query_counts_do_not_grow_with_groups(
    session_client, root_route, django_assert_max_num_queries
):
    for n in range(30):
        fire(f"Alert{n}", severity=("critical", "warning", "info")[n % 3], service=f"svc{n % 4}", instance="a")
        fire(f"Alert{n}", severity="warning", service=f"svc{n % 4}", instance="b", summary=f"summary {n}")
    for index, group in enumerate(AlertGroup.objects.all()):
        ledger(group, outcome="success", minutes=5)
        ledger(group, outcome="failed", minutes=1)
        if index < 10:
            group_acknowledge(group_id=group.pk, actor="ana", now=timezone.now())
    client = session_client("responder")
    client.get("/alerts/")  # session and role caches warm
    cache.clear()  # ... but not the page cache: a hit there is 4 queries whatever the list would cost
    with django_assert_max_num_queries(11):
        response = client.get("/alerts/")
    assert response.content.decode().count('data-testid="group-row"') == 30
    with django_assert_max_num_queries(11):
        client.get("/alerts/?severity=warning&service=svc1&sort=oldest", HTTP_HX_REQUEST="true")
    group = AlertGroup.objects.first()
    with django_assert_max_num_queries(16):
        assert client.get(f"/alerts/groups/{group.pk}/").status_code == 200
