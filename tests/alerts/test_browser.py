"""The alerts pages in a real Chromium: a responder sees firing groups appear by live refresh, acknowledges one,
is asked before resolving (and nothing happens when they cancel), silences a group from a prefilled and previewed
form; the route tester answers; an admin sends a test notification and finds it in the ledger. At phone width
(390 px) the triage list and the group page do not scroll sideways, pass axe-core, and bulk acknowledge works."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from alerts.models import AlertGroup, DeliveryAttempt, Receiver, Silence
from alerts.services import alert_raise
from tests.support.browser import login
from tests.support.pagecheck import PHONE, axe_violations, overflow


@pytest.fixture
def eager_celery():
    """Deliveries run inline on commit (no worker in this test), so the ledger fills as in ``make run``."""
    from sre.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _raise(name: str) -> AlertGroup:
    alert_raise(
        labels={"alertname": name, "instance": "db-1", "severity": "critical"},
        annotations={"summary": f"{name} on db-1"},
        status="firing",
        source="test",
        now=timezone.now(),
    )
    return AlertGroup.objects.get(group_labels={"alertname": name})


class _Dialogs:
    """Records every confirm() the page asks and answers it with ``accept``, and every POST the page sends (a
    cancelled confirm must send none: the next accepted one's POST is then the only one)."""

    def __init__(self, page) -> None:
        self.asked: list[str] = []
        self.posts: list[str] = []
        self.accept = True
        page.on("dialog", self._answer)
        page.on("request", lambda request: self.posts.append(request.url) if request.method == "POST" else None)

    def _answer(self, dialog) -> None:
        self.asked.append(dialog.message)
        dialog.accept() if self.accept else dialog.dismiss()


@pytest.mark.integration
def test_alert_pages_in_the_browser(browser, live_server, transactional_db, make_user, root_route, eager_celery):
    disk = _raise("DiskFull")
    user = make_user("responder", username="rosa")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dialogs = _Dialogs(page)
    base = live_server.url
    page.clock.install()  # the page's timers run on a clock the test moves (time also passes as usual)
    login(page, base, user.username)

    page.goto(base + "/alerts/")
    rows = page.get_by_test_id("group-row")
    assert rows.filter(has_text="DiskFull").count() == 1
    # Live refresh: a group that fires while the page is open appears without a reload (htmx, every 10 s).
    cpu = _raise("CPUHigh")
    page.clock.run_for(10_000)
    rows.filter(has_text="CPUHigh").wait_for(timeout=20_000)

    # Resolve asks first; cancelling sends nothing.
    dialogs.accept = False
    posts = len(dialogs.posts)
    rows.filter(has_text="DiskFull").get_by_role("button", name="Resolve").click()
    assert dialogs.asked == ["Resolve every alert of this group and tell the receiver?"]
    disk.refresh_from_db()
    assert disk.state == "firing"
    dialogs.accept = True
    with page.expect_navigation():
        rows.filter(has_text="DiskFull").get_by_role("button", name="Resolve").click()
    disk.refresh_from_db()
    assert disk.state == "resolved" and len(dialogs.asked) == 2
    assert len(dialogs.posts) == posts + 1, dialogs.posts[posts:]  # the accepted Resolve's only: cancelled sent none

    with page.expect_navigation():
        page.get_by_test_id("group-row").filter(has_text="CPUHigh").get_by_role("button", name="Acknowledge").click()
    cpu.refresh_from_db()
    assert cpu.state == "acknowledged" and cpu.acknowledged_by == "rosa"

    # Silence from the group: matchers prefilled, previewed, then created.
    page.get_by_test_id("group-row").filter(has_text="CPUHigh").get_by_role("link", name="Silence").click()
    matchers = page.locator("#id_matchers")
    assert 'alertname="CPUHigh"' in matchers.input_value()
    page.fill("#id_comment", "noisy during the migration")
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    assert "Would silence 1 firing alert" in page.content()
    assert not Silence.objects.exists()
    with page.expect_navigation():
        page.get_by_role("button", name="Create silence").click()
    silence = Silence.objects.get()
    assert {"name": "alertname", "value": "CPUHigh", "isRegex": False, "isEqual": True} in silence.matchers
    assert silence.created_by == "rosa"
    cpu.refresh_from_db()
    assert cpu.state == "silenced"

    # Which route matches these labels?
    page.goto(base + "/alerts/routes/")
    page.fill("#id_labels", "alertname=Disk\nteam=db")
    with page.expect_navigation():
        page.get_by_role("button", name="Test").click()
    assert re.search(r"sends to\s+default", page.get_by_test_id("route-matches").inner_text())
    assert errors == []


@pytest.mark.integration
def test_receivers_page_test_notification_and_delete(
    browser, live_server, transactional_db, make_user, root_route, eager_celery
):
    spare = Receiver.objects.create(name="spare", kind="ledger")
    admin = make_user("admin", username="ada")
    page = browser.new_context().new_page()
    dialogs = _Dialogs(page)
    base = live_server.url
    login(page, base, admin.username)
    page.goto(base + "/alerts/receivers/")
    with page.expect_navigation():
        page.get_by_role("row", name=re.compile("^default")).get_by_role(
            "button", name="Send test notification"
        ).click()
    assert "/alerts/notifications/" in page.url
    attempt = DeliveryAttempt.objects.get()
    assert attempt.receiver == root_route.receiver and attempt.outcome == "success"
    assert attempt.requested_by == "ada"
    table = page.locator("table").inner_text()
    assert "default" in table and "by ada" in table

    # Deleting a receiver asks first (this page once loaded no script that asked).
    page.goto(f"{base}/alerts/receivers/{spare.pk}/")
    dialogs.accept = False
    posts = len(dialogs.posts)
    page.get_by_role("button", name="Delete receiver").click()
    assert dialogs.asked == ["Delete this receiver?"] and Receiver.objects.filter(pk=spare.pk).exists()
    dialogs.accept = True
    with page.expect_navigation():
        page.get_by_role("button", name="Delete receiver").click()
    assert not Receiver.objects.filter(pk=spare.pk).exists()
    assert len(dialogs.posts) == posts + 1, dialogs.posts[posts:]  # the accepted delete's only: cancelled sent none


def _fire(name: str, *, severity: str, summary: str = "", **labels: str) -> AlertGroup:
    alert_raise(
        labels={"alertname": name, "severity": severity, **labels},
        annotations={"summary": summary} if summary else {},
        status="firing",
        source="test",
        now=timezone.now(),
    )
    return AlertGroup.objects.get(group_labels={"alertname": name})


@pytest.mark.integration
def test_triage_on_a_phone(browser, live_server, transactional_db, make_user, root_route, eager_celery):
    from playwright.sync_api import expect

    checkout = _fire("Checkout5xx", severity="critical", summary="Checkout 5xx above 5% for 10 minutes")
    disk = _fire(
        "DiskAlmostFull",
        severity="warning",
        service="postgres",
        instance="db-primary-eu-west-1a.internal.example.com",
        mountpoint="/var/lib/postgresql/data/a/very/long/path/that/has/no/break/points/at/all/" + "x" * 60,
    )
    cert = _fire("CertificateExpiry", severity="ticket", domain="status.example.com")
    user = make_user("responder", username="pia")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    login(page, base, user.username)

    page.goto(base + "/alerts/")
    rows = page.get_by_test_id("group-row")
    expect(rows).to_have_count(3)
    assert "Checkout 5xx above 5%" in rows.first.inner_text()  # critical first
    assert overflow(page) == []
    assert axe_violations(page) == []
    page.get_by_text("Filters and sort").click()  # folded on a phone; open, it still fits
    expect(page.get_by_label("Severity", exact=True)).to_be_visible()
    assert overflow(page) == []

    # Bulk acknowledge two groups from the phone layout; the bar stays in reach at the bottom of the screen.
    rows.filter(has_text="Checkout 5xx").get_by_role("checkbox").check()
    rows.filter(has_text="DiskAlmostFull").get_by_role("checkbox").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 chosen")
    bulk = page.locator("#bulk").get_by_role("button", name="Acknowledge")
    expect(bulk).to_be_in_viewport()
    box = bulk.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert overflow(page) == []
    with page.expect_navigation():
        bulk.click()
    expect(page.get_by_role("status")).to_contain_text(f"Acknowledged 2 groups (#{checkout.pk}, #{disk.pk}).")
    for group in (checkout, disk):
        group.refresh_from_db()
        assert group.state == "acknowledged" and group.acknowledged_by == "pia"
    cert.refresh_from_db()
    assert cert.state == "firing"
    expect(rows.filter(has_text="Checkout 5xx")).to_contain_text("Acknowledged by pia")
    assert overflow(page) == []

    # The group page: long label values wrap; nothing scrolls sideways; axe finds nothing serious.
    rows.filter(has_text="DiskAlmostFull").get_by_role("link", name=re.compile("DiskAlmostFull")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DiskAlmostFull")
    assert overflow(page) == []
    assert axe_violations(page) == []
    assert errors == []

    # A viewer at phone width: no check boxes, no action buttons, and the reason in words.
    viewer = make_user("viewer", username="vic")
    viewer_page = browser.new_context(viewport=PHONE).new_page()
    login(viewer_page, base, viewer.username)
    viewer_page.goto(base + "/alerts/")
    expect(viewer_page.get_by_test_id("group-row")).to_have_count(3)
    assert viewer_page.get_by_role("checkbox", name=re.compile("^Choose")).count() == 0
    assert viewer_page.get_by_role("button", name=re.compile("Acknowledge|Resolve|Silence")).count() == 0
    expect(viewer_page.get_by_text("responders and admins acknowledge, silence and resolve")).to_be_visible()
    assert overflow(viewer_page) == [] and axe_violations(viewer_page) == []
