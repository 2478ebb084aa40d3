"""Content-Security-Policy on every page (django-csp): the header on representative pages, and a real Chromium that
opens the main pages (with charts, timelines, the QR code, the admin and the API docs) records no violation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sre.demo.services import demo_seed

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    # Two fixed <style> blocks by hash: the empty one Plotly fills through the CSSOM, and its MapLibre stylesheet.
    "style-src": "'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' "
    "'sha256-gG0b4ixT/IQUp7JJLbyKcpYcYDjq2Wp8NGv3f+aasqo='",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/healthz", "/", "/alerts/", "/settings/security/", "/admin/", "/api/v1/me"])
def test_every_kind_of_page_carries_the_strict_policy(session_client, path: str) -> None:
    client = session_client("admin")
    client.user.is_staff = True
    client.user.save()
    response = client.get(path)
    assert response.status_code == 200, path
    policy = _policy(response)
    for directive, value in STRICT.items():
        assert policy[directive] == value, (path, directive, policy)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_anonymous_pages_carry_it_too(db) -> None:
    policy = _policy(Client().get("/accounts/login/"))
    assert {k: policy[k] for k in STRICT} == STRICT


def test_the_public_status_page_snapshot_has_its_own_strict_policy(db) -> None:
    response = Client().get("/status/")  # served from the snapshot file, also by the WSGI fast path
    assert response.status_code == 200
    policy = _policy(response)
    expected = {**STRICT, "style-src": "'self'"}
    assert {k: policy[k] for k in expected} == expected
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_api_docs_allow_inline_style_but_never_inline_script(session_client) -> None:
    response = session_client("viewer").get("/api/docs/")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert policy["style-src"].startswith("'self'") and "'unsafe-inline'" in policy["style-src"]
    assert "<script>" not in response.content.decode()  # the split view: its script is a separate request


def test_form_action_names_the_identity_provider_when_sso_is_on() -> None:
    from sre.env import Env
    from sre.identity.conf import identity_settings

    env = Env(
        {
            "OIDC_RP_CLIENT_ID": "sre",
            "OIDC_RP_CLIENT_SECRET": "s",
            "OIDC_OP_DISCOVERY_URL": "https://idp.example.test/.well-known/openid-configuration",
        }
    )
    directives = identity_settings(env)["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["form-action"] == ["'self'", "https://idp.example.test"]
    assert identity_settings(Env({}))["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == ["'self'"]


# --- In a browser ---------------------------------------------------------------------------------------------------

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber
    + " sample " + e.sample);
});
"""


def _pages(base: str) -> list[str]:
    from oncall.models import Schedule
    from slo.models import SLO

    slo = SLO.objects.order_by("pk").first()
    schedule = Schedule.objects.order_by("pk").first()
    return [
        "/",
        "/slos/",
        f"/slos/{slo.pk}/",
        "/alerts/",
        "/alerts/routes/",
        "/incidents/",
        "/incidents/insights/",
        "/statuspage/",
        "/drills/",
        "/logs/",
        "/oncall/",
        reverse("oncall:schedule", args=[schedule.pk]),
        "/settings/",
        "/settings/security/",
        "/accounts/password/",
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/api/docs/",
        "/status/",
    ]


@pytest.mark.integration
def test_main_pages_in_chromium_record_no_csp_violation(browser, live_server, transactional_db) -> None:
    demo_seed(password="demo-pass-for-tests")
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="demo-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []
    # Failed loads are caught by status below (the browser's own /favicon.ico probe on admin pages is not a page's).
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    base = live_server.url
    try:
        page.goto(base + "/accounts/login/")
        assert page.evaluate("window.__csp") == []
        page.fill("#id_username", "demo-admin")
        page.fill("#id_password", "demo-pass-for-tests")
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        checked = 0
        for path in _pages(base):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            violations = page.evaluate("window.__csp")
            problems += [f"{path}: {v}" for v in violations]
            checked += 1
        # The QR code (a data: image) rendered, and the timeline's bars were placed by script (no style="").
        page.goto(base + "/settings/security/")
        page.get_by_role("button", name="Set up an authenticator app").click()
        page.wait_for_load_state("networkidle")
        assert page.get_by_test_id("totp-qr").evaluate("img => img.naturalWidth") > 0
        problems += [f"security (enrol): {v}" for v in page.evaluate("window.__csp")]
        page.goto(base + _pages(base)[11])
        bar = page.locator(".oc-bar").first
        assert bar.evaluate("el => el.style.left").endswith("%")
    finally:
        context.close()
    assert checked == len(_pages(base))
    assert not problems, "\n".join(problems)
