"""The alerts pages in a real Chromium: a responder sees firing groups appear by live refresh, acknowledges one,
is asked before resolving (and nothing happens when they cancel), silences a group from a prefilled and previewed
form; the route tester answers; an admin sends a test notification and finds it in the ledger."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from alerts.models import AlertGroup, DeliveryAttempt, Receiver, Silence
from alerts.services import alert_raise
from tests.support.browser import login


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
    """Records every confirm() the page asks and answers it with ``accept``."""

    def __init__(self, page) -> None:
        self.asked: list[str] = []
        self.accept = True
        page.on("dialog", self._answer)

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
    login(page, base, user.username)

    page.goto(base + "/alerts/")
    rows = page.get_by_test_id("group-row")
    assert rows.filter(has_text="DiskFull").count() == 1
    # Live refresh: a group that fires while the page is open appears without a reload (htmx, every 10 s).
    cpu = _raise("CPUHigh")
    rows.filter(has_text="CPUHigh").wait_for(timeout=20_000)

    # Resolve asks first; cancelling sends nothing.
    dialogs.accept = False
    rows.filter(has_text="DiskFull").get_by_role("button", name="Resolve").click()
    assert dialogs.asked == ["Resolve every alert of this group and tell the receiver?"]
    page.wait_for_timeout(300)  # a submit, had it happened, would have been sent by now
    disk.refresh_from_db()
    assert disk.state == "firing"
    dialogs.accept = True
    with page.expect_navigation():
        rows.filter(has_text="DiskFull").get_by_role("button", name="Resolve").click()
    disk.refresh_from_db()
    assert disk.state == "resolved" and len(dialogs.asked) == 2

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
    page.get_by_role("button", name="Delete receiver").click()
    page.wait_for_timeout(300)
    assert dialogs.asked == ["Delete this receiver?"] and Receiver.objects.filter(pk=spare.pk).exists()
    dialogs.accept = True
    with page.expect_navigation():
        page.get_by_role("button", name="Delete receiver").click()
    assert not Receiver.objects.filter(pk=spare.pk).exists()
