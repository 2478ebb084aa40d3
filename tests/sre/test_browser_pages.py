"""Every page of the site in a real Chromium (issue 18, items 2, 4 and 9).

One set of objects (the demo seed plus a minute of traffic, an SLO evaluation, a firing alert group, a drill run,
an API token, a rendered public page) is made once for the module and every page is opened once per pass:

- at 390 x 844 as an admin (the role that sees the most buttons): nothing scrolls sideways (``overflow``) and
  axe-core finds no serious or critical violation; the Overview and one list again at 1280 px;
- as a viewer, then as a responder: every enabled POST form on the page is one the role may submit (it is posted
  with the page's CSRF token and nothing else, and must not answer 403);
- the keyboard: Tab reaches the skip link first, then the main navigation and the page's primary action, focus
  is visible, and the menu opens with Enter at phone width.

The crawl runs once (module fixture) and the tests below are parametrised by page, so a failure names the page and
says what is wrong there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from sre.choices import Role
from sre.services import api_token_create, user_set_role
from tests.sre.factories import UserFactory
from tests.support.browser import login
from tests.support.pagecheck import PHONE, axe_violations, overflow, post_forms

pytestmark = pytest.mark.integration

WIDE = {"width": 1280, "height": 800}

# name -> how to build its URL from the objects made by ``_seed`` (names are the test ids).
PAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    # the main navigation (sre.context_processors.NAVIGATION)
    "overview": lambda o: reverse("overview"),
    "slos": lambda o: reverse("slo:index"),
    "alerts": lambda o: reverse("alerts:index"),
    "rules": lambda o: reverse("rules:index"),
    "oncall": lambda o: reverse("oncall:home"),
    "incidents": lambda o: reverse("incidents:index"),
    "statuspage-admin": lambda o: reverse("statuspage:index"),
    "drills": lambda o: reverse("drills:index"),
    "heartbeats": lambda o: reverse("heartbeats:index"),
    "releases": lambda o: reverse("releases:index"),
    "logs": lambda o: reverse("telemetry:logs") + "?q=error",
    "settings": lambda o: reverse("settings"),
    # the main detail pages
    "slo-detail": lambda o: reverse("slo:detail", args=[o["slo"].pk]),
    "service-detail": lambda o: reverse("slo:service-detail", args=[o["service"].pk]),
    "alert-group": lambda o: reverse("alerts:group", args=[o["group"].pk]),
    "incident-detail": lambda o: reverse("incidents:detail", args=[o["incident"].pk]),
    "postmortem": lambda o: reverse("incidents:postmortem", args=[o["incident"].pk]),
    "public-status": lambda o: "/status/",
    "drill-target": lambda o: reverse("drills:target-detail", args=[o["run"].target_id]),
    "drill-run": lambda o: reverse("drills:run-detail", args=[o["run"].pk]),
    "rule-detail": lambda o: reverse("rules:detail", args=[o["rule"].pk]),
    "heartbeat-detail": lambda o: reverse("heartbeats:detail", args=[o["check"].pk]),
    "schedule": lambda o: reverse("oncall:schedule", args=[o["schedule"].pk]),
    "person": lambda o: reverse("oncall:person", args=[o["person"].pk]),
    "release-service": lambda o: reverse("releases:service", args=[o["service"].pk]),
    "deployment": lambda o: reverse("releases:deployment", args=[o["deployment"].pk]),
    # more pages of the same apps
    "deployments": lambda o: reverse("releases:deployments"),
    "oncall-teams": lambda o: reverse("oncall:teams"),
    "oncall-policies": lambda o: reverse("oncall:policies"),
    "drills-evidence": lambda o: reverse("drills:evidence"),
    "audit": lambda o: reverse("audit:list"),
    "security": lambda o: reverse("security"),
}
WIDE_PAGES = ("overview", "rules")

# Forms any signed-in person may post on their own behalf: what a viewer (or a responder) is expected to see.
OWN_FORMS = {
    "/accounts/logout/",  # sign out
    "/settings/",  # own API tokens
    "/settings/security/",  # own second factor
    "/accounts/password/",
}
OWN_PREFIXES = ("/settings/tokens/",)  # revoke an own token
ADMIN_ONLY = {"audit"}  # pages only an admin opens (403 for the others, and not linked for them)


@dataclass
class Crawl:
    urls: dict[str, str] = field(default_factory=dict)
    overflow: dict[str, list[str]] = field(default_factory=dict)
    axe: dict[str, list[str]] = field(default_factory=dict)
    axe_wide: dict[str, list[str]] = field(default_factory=dict)
    forbidden: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # role -> page -> forms that 403
    opened: dict[str, dict[str, int]] = field(default_factory=dict)  # role -> page -> HTTP status of the page
    errors: dict[str, list[str]] = field(default_factory=dict)  # page -> HTTP >= 400 / page errors
    users: dict[str, Any] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # page -> why it could not be built from the seed
    base: str = ""
    keyboard: dict[str, list[str]] = field(default_factory=dict)


def _user(role: Role, username: str) -> Any:
    user = UserFactory(username=username, first_name=username.title())
    user_set_role(user=user, role=role)
    return user


SEED_ERRORS: list[str] = []


def _demo_seed(now: dt.datetime) -> None:
    """``demo_seed`` part by part, so one app's broken demo leaves the other pages testable (and is reported)."""
    from django.db import transaction

    from alerts.demo import alerts_demo_seed
    from drills.demo import drills_demo_ensure
    from heartbeats.demo import heartbeats_demo_seed
    from incidents.demo import incidents_demo_seed
    from oncall.demo import oncall_demo_seed
    from releases.demo import releases_demo_seed
    from rules.demo import rules_demo_seed
    from slo.demo import slo_demo_seed
    from slo.models import Service
    from sre.demo.services import DEMO_SERVICES
    from statuspage.demo import statuspage_demo_seed

    for role in Role:
        _user(role, f"demo-{role.value}")
    for spec in DEMO_SERVICES:
        Service.objects.get_or_create(name=spec["name"], defaults=spec)
    parts = (
        slo_demo_seed,
        statuspage_demo_seed,
        drills_demo_ensure,
        incidents_demo_seed,
        alerts_demo_seed,
        lambda: oncall_demo_seed(now=now),
        rules_demo_seed,
        heartbeats_demo_seed,
        lambda: releases_demo_seed(now=now),
    )
    for part in parts:
        try:
            with transaction.atomic():
                part()
        except Exception as exc:  # noqa: BLE001 - reported by test_every_demo_part_seeds
            SEED_ERRORS.append(f"{getattr(part, '__module__', part)}: {type(exc).__name__}: {exc}")


def _seed(now: dt.datetime) -> dict[str, Any]:
    """At least one of every main object, through the same services as the app."""
    from django.contrib.auth import get_user_model

    from alerts.models import AlertGroup
    from alerts.services import alert_raise
    from drills.models import BackupTarget
    from heartbeats.models import Check
    from incidents.models import Incident
    from oncall.models import Schedule
    from releases.models import Deployment
    from rules.models import AlertRule
    from slo.models import SLO, Service
    from slo.services import slo_evaluate_all
    from sre.demo.services import demo_traffic_push
    from statuspage.services import sync_run
    from tests.drills.factories import DrillRunFactory

    User = get_user_model()
    _demo_seed(now)
    demo_traffic_push(now=now)
    slo_evaluate_all(now=now)
    alert_raise(
        labels={"alertname": "DiskFull", "instance": "db-1", "severity": "critical", "service": "checkout"},
        annotations={"summary": "Disk of db-1 is 97% full"},
        status="firing",
        source="test",
        now=now,
    )
    sync_run(now=now)
    admin = _user(Role.ADMIN, "page-admin")
    viewer = _user(Role.VIEWER, "page-viewer")
    responder = _user(Role.RESPONDER, "page-responder")
    for user in (admin, viewer, responder):
        api_token_create(user=user, name="laptop", scopes=["read"], expires_at=None, now=now)
    target = BackupTarget.objects.order_by("pk").first()
    run = DrillRunFactory(target=target, started_at=now - dt.timedelta(minutes=9), finished_at=now)
    slo = SLO.objects.select_related("service").order_by("pk").first()
    incident = Incident.objects.filter(postmortem__isnull=False).order_by("pk").first()
    schedule = Schedule.objects.order_by("pk").first()
    return {
        "slo": slo,
        "service": Service.objects.get(pk=slo.service_id),
        "group": AlertGroup.objects.filter(state="firing").order_by("pk").first(),
        "incident": incident,
        "run": run,
        "rule": AlertRule.objects.order_by("pk").first(),
        "check": Check.objects.order_by("pk").first(),
        "schedule": schedule,
        "person": User.objects.filter(pk__in=schedule.layers.order_by("pk").first().participants).first()
        if schedule
        else None,
        "deployment": Deployment.objects.order_by("-pk").first(),
        "admin": admin,
        "viewer": viewer,
        "responder": responder,
    }


def _watch(page: Any, sink: list[str]) -> None:
    page.on("pageerror", lambda exc: sink.append(f"page error: {exc}"))
    page.on("response", lambda r: sink.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


def _forbidden_forms(page: Any, base: str) -> list[str]:
    """The page's enabled POST forms that answer 403 to this user (posted with the CSRF token only)."""
    token = page.evaluate(
        "() => (document.querySelector('input[name=csrfmiddlewaretoken]') || {}).value"
        " || (document.querySelector('meta[name=csrf-token]') || {}).content || ''"
    )
    bad = []
    seen = set()
    for form in post_forms(page):
        action = form["action"]
        if action in seen or action in OWN_FORMS or action.startswith(OWN_PREFIXES):
            continue
        seen.add(action)
        url = action if action.startswith("http") else base + action
        answer = page.request.post(
            url,
            form={"csrfmiddlewaretoken": token},
            headers={"Referer": page.url, "X-CSRFToken": token},
            max_redirects=0,
        )
        if answer.status == 403:
            bad.append(f"{form['text']!r} posts to {action} and answers 403")
    return bad


@pytest.fixture(scope="module")
def site(browser, live_server, django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Crawl]:
    """Seed once, crawl every page in each pass (and the keyboard checks), flush the database at the end.

    Everything that needs the server runs here: with ``live_server`` among its fixtures each test below is
    transactional, and the first one to end flushes the seeded objects."""
    snapshot = tmp_path_factory.mktemp("snapshot")
    from django.conf import settings

    sre = {**settings.SRE, "STATUSPAGE_SNAPSHOT_DIR": str(snapshot)}
    base = live_server.url
    with django_db_blocker.unblock(), override_settings(SRE=sre):
        crawl = Crawl(base=base)
        try:
            objects = _seed(timezone.now())
            crawl.users = {role: objects[role] for role in ("admin", "viewer", "responder")}
            for name, build in PAGES.items():
                try:
                    crawl.urls[name] = build(objects)
                except (AttributeError, IndexError, TypeError) as exc:
                    crawl.missing[name] = f"nothing to show: {exc}"

            context = browser.new_context(viewport=PHONE)
            page = context.new_page()
            problems: list[str] = []
            _watch(page, problems)
            login(page, base, "page-admin")
            for name, url in crawl.urls.items():
                problems.clear()
                page.goto(base + url)
                page.wait_for_load_state("load")
                crawl.overflow[name] = overflow(page)
                crawl.axe[name] = axe_violations(page)
                crawl.errors[name] = list(problems)
            page.goto(base + crawl.urls["rules"])
            crawl.keyboard["menu"] = _menu(page)
            page.set_viewport_size(WIDE)
            for name in WIDE_PAGES:
                page.goto(base + crawl.urls[name])
                crawl.axe_wide[name] = axe_violations(page)
            for name in KEYBOARD_PAGES:
                page.goto(base + crawl.urls[name])
                crawl.keyboard[name] = _keyboard(page)
            context.close()

            context = browser.new_context(viewport=PHONE)
            page = context.new_page()
            page.goto(base + reverse("login"))
            crawl.overflow["login"] = overflow(page)
            crawl.axe["login"] = axe_violations(page)
            context.close()

            for role in ("viewer", "responder"):
                context = browser.new_context(viewport=PHONE)
                page = context.new_page()
                login(page, base, f"page-{role}")
                crawl.forbidden[role], crawl.opened[role] = {}, {}
                for name, url in crawl.urls.items():
                    response = page.goto(base + url)
                    crawl.opened[role][name] = response.status if response else 0
                    crawl.forbidden[role][name] = _forbidden_forms(page, base)
                context.close()
            yield crawl
        finally:
            call_command("flush", interactive=False, verbosity=0)


def _url(site: Crawl, name: str) -> str:
    if name in site.missing:
        pytest.fail(f"{name}: {site.missing[name]} (seed errors: {SEED_ERRORS})")
    return "/accounts/login/" if name == "login" else site.urls[name]


def test_every_demo_part_seeds(site: Crawl) -> None:
    assert SEED_ERRORS == []


@pytest.mark.parametrize("name", [*PAGES, "login"])
def test_nothing_scrolls_sideways_at_phone_width(site: Crawl, name: str) -> None:
    url = _url(site, name)
    assert site.overflow[name] == [], f"{url} at 390 px"


@pytest.mark.parametrize("name", [*PAGES, "login"])
def test_no_serious_accessibility_violation(site: Crawl, name: str) -> None:
    url = _url(site, name)
    assert site.axe[name] == [], f"{url} at 390 px"


@pytest.mark.parametrize("name", WIDE_PAGES)
def test_no_serious_accessibility_violation_on_a_laptop(site: Crawl, name: str) -> None:
    url = _url(site, name)
    assert site.axe_wide[name] == [], f"{url} at 1280 px"


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_errors(site: Crawl, name: str) -> None:
    url = _url(site, name)
    assert site.errors[name] == [], url


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_no_form_the_role_may_not_submit(site: Crawl, role: str, name: str) -> None:
    url = _url(site, name)
    # A page the role could not open has no forms: it would pass below without checking anything.
    expected = 403 if name in ADMIN_ONLY else 200
    assert site.opened[role][name] == expected, f"{url} as a {role} answered {site.opened[role][name]}"
    assert site.forbidden[role][name] == [], f"{url} as a {role}"


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const el = document.activeElement; const s = getComputedStyle(el);
          return {text: (el.textContent || el.value || '').trim(), href: el.getAttribute('href') || '',
                  cls: el.className || '', nav: !!el.closest('nav[aria-label=Main]'),
                  main: !!el.closest('main'),
                  ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'}; }"""
    )


KEYBOARD_PAGES = ("rules", "drills", "heartbeats", "releases", "logs", "settings", "alerts", "slos", "incidents")


def _keyboard(page: Any) -> list[str]:
    """From the top of the page: Tab reaches the skip link first, then the main navigation, then the content."""
    problems = []
    page.keyboard.press("Tab")
    first = _focused(page)
    if first["href"] != "#main" and "skip" not in first["cls"]:
        problems.append(f"the first Tab stop is {first['text']!r} ({first['href']}), not the skip link")
    elif not first["ring"]:
        problems.append("the skip link shows no focus ring")
    reached_nav = reached_main = False
    for _ in range(80):
        page.keyboard.press("Tab")
        now = _focused(page)
        reached_nav = reached_nav or now["nav"]
        if now["main"]:
            reached_main = True
            if not now["ring"]:
                problems.append(f"no visible focus on {now['text']!r} in the content")
            break
    if not reached_nav:
        problems.append("Tab never reaches the main navigation")
    if not reached_main:
        problems.append("Tab never reaches the page's content (its primary action or first link)")
    return problems


def _menu(page: Any) -> list[str]:
    """At phone width the menu button opens the navigation with Enter, and Tab then goes into it."""
    problems = []
    nav = page.get_by_role("navigation", name="Main")
    if nav.is_visible():
        problems.append("the navigation shows before the menu is opened")
    menu = page.get_by_role("button", name="Menu")
    menu.focus()
    if not _focused(page)["ring"]:
        problems.append("the menu button shows no focus ring")
    page.keyboard.press("Enter")
    try:
        nav.wait_for(state="visible", timeout=2000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError, reported as a problem
        return [*problems, "Enter on Menu does not open the navigation"]
    if menu.get_attribute("aria-expanded") != "true":
        problems.append("Menu does not say it is expanded")
    page.keyboard.press("Tab")
    if not _focused(page)["nav"]:
        problems.append("after opening the menu, Tab does not go into it")
    return problems


@pytest.mark.parametrize("name", KEYBOARD_PAGES)
def test_keyboard_reaches_skip_link_navigation_and_content(site: Crawl, name: str) -> None:
    url = _url(site, name)
    assert site.keyboard[name] == [], url


def test_menu_opens_with_enter_at_phone_width(site: Crawl) -> None:
    assert site.keyboard["menu"] == []


def test_report(site: Crawl) -> None:
    """Writes what every check found to $PAGES_REPORT (a summary for people; asserts nothing else)."""
    import json
    import os

    path = os.environ.get("PAGES_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            found = {"urls": site.urls, "missing": site.missing, "seed": SEED_ERRORS, "overflow": site.overflow}
            found |= {"axe": site.axe, "axe_wide": site.axe_wide, "errors": site.errors, "keyboard": site.keyboard}
            json.dump({**found, "forbidden": site.forbidden}, out, indent=1)
