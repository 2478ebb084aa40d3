"""TOTP two-factor authentication with recovery codes (django-otp), SRE_REQUIRE_MFA, the password-change page and
the one-time admin password that must be changed at first sign-in."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sre.identity import services
from sre.models import AccountSecurity

LOGIN = "/accounts/login/"
SECURITY = "/settings/security/"


def _code(device: TOTPDevice, *, offset: int = 0) -> str:
    """The device's current code, computed from its secret as an authenticator app does."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def _sign_in(username: str, password: str = "pw-for-tests") -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    assert client.post(SECURITY, {"action": "totp-start"}).status_code == 302
    page = client.get(SECURITY).content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, drawn on the server
    device = TOTPDevice.objects.get(pk=client.session["sre_totp_enrol"], confirmed=False)
    assert base64.b32encode(device.bin_key).decode() == secret
    assert client.post(SECURITY, {"action": "totp-confirm", "code": _wrong(device)}).status_code == 400
    _wait_passes(device)  # django-otp makes the device wait 1 s after a failure
    response = client.post(SECURITY, {"action": "totp-confirm", "code": _code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def _wait_passes(device: TOTPDevice) -> None:
    """The device's wait after a failure (1 s, doubling with each one) is over: its last failure moves a minute
    into the past, as if the time had passed (django-otp compares that stamp with the time now)."""
    assert TOTPDevice.objects.filter(pk=device.pk, throttling_failure_timestamp__isnull=False).update(
        throttling_failure_timestamp=F("throttling_failure_timestamp") - dt.timedelta(minutes=1)
    )


def _wrong(device: TOTPDevice) -> str:
    valid = {_code(device, offset=n) for n in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def test_enrol_then_sign_in_asks_for_the_code(make_user) -> None:
    make_user("viewer", username="mia")
    client = _sign_in("mia")
    device, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    client.post("/accounts/logout/")

    client = _sign_in("mia")
    # Signed in with the password only: every page sends to the verification step, the API refuses the session.
    response = client.get("/alerts/")
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/?next=%2Falerts%2F"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "identity_verify"
    assert client.post("/accounts/verify/", {"code": _wrong(device)}).status_code == 400
    assert client.get("/").status_code == 302
    _wait_passes(device)
    # The enrolment used this step's code (django-otp refuses a replay); the next step's is inside the tolerance.
    response = client.post("/accounts/verify/", {"code": _code(device, offset=1), "next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_a_recovery_code_works_once(make_user) -> None:
    make_user("viewer", username="noah")
    device, codes = _enrol(_sign_in("noah"))
    client = _sign_in("noah")
    spaced = f"{codes[0][:4]} {codes[0][4:].upper()}"  # as a person might type it
    assert client.post("/accounts/verify/", {"code": spaced}).status_code == 302
    assert client.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=device.user).count() == 9

    again = _sign_in("noah")
    assert again.post("/accounts/verify/", {"code": codes[0]}).status_code == 400
    assert again.get("/").status_code == 302


def test_regenerate_recovery_codes_and_disable_with_password(make_user) -> None:
    make_user("viewer", username="olga")
    client = _sign_in("olga")
    _, old = _enrol(client)
    response = client.post(SECURITY, {"action": "recovery-regenerate"})
    new = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert "recovery-codes" not in client.get(SECURITY).content.decode()  # shown once
    assert client.post(SECURITY, {"action": "disable", "password": "wrong"}).status_code == 400
    assert TOTPDevice.objects.filter(user__username="olga").exists()
    assert client.post(SECURITY, {"action": "disable", "password": "pw-for-tests"}).status_code == 302
    assert not TOTPDevice.objects.filter(user__username="olga").exists()
    assert not StaticToken.objects.filter(device__user__username="olga").exists()
    client.post("/accounts/logout/")
    assert _sign_in("olga").get("/").status_code == 200  # no second step any more


@override_settings(SRE={**__import__("django.conf").conf.settings.SRE, "REQUIRE_MFA": True})
def test_require_mfa_sends_users_without_a_device_to_enrol_first(make_user) -> None:
    make_user("responder", username="pete")
    client = _sign_in("pete")
    for path in ("/", "/alerts/", "/settings/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == SECURITY, path
    assert client.get("/api/v1/me").json()["error"]["code"] == "identity_enrol"
    page = client.get(SECURITY)
    assert page.status_code == 200 and 'data-testid="enrol-required"' in page.content.decode()
    _enrol(client)
    assert client.get("/").status_code == 200


@override_settings(SRE={**__import__("django.conf").conf.settings.SRE, "REQUIRE_MFA": True})
def test_require_mfa_does_not_apply_to_token_requests(token_client) -> None:
    client = token_client("viewer", scopes=("read",))
    assert client.get("/api/v1/me").json() == {
        "username": client.user.username,
        "role": "viewer",
        "token_scopes": ["read"],
    }


def test_ensure_admin_password_must_be_changed_at_first_sign_in(db, capsys) -> None:
    call_command("ensure_admin")
    password = re.search(r"one-time password: (\S+)", capsys.readouterr().out).group(1)
    assert AccountSecurity.objects.get(user__username="admin").must_change_password
    client = _sign_in("admin", password)
    for path in ("/", "/admin/", "/settings/security/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/password/"), path
    page = client.get("/accounts/password/")
    assert 'data-testid="password-required"' in page.content.decode()
    weak = client.post(
        "/accounts/password/", {"old_password": password, "new_password1": "password", "new_password2": "password"}
    )
    assert weak.status_code == 200  # validators refuse it; still held
    assert client.get("/").status_code == 302
    new = "a-much-better-passphrase-42"
    response = client.post(
        "/accounts/password/", {"old_password": password, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # same session, no longer held
    security = AccountSecurity.objects.get(user__username="admin")
    assert not security.must_change_password and security.password_changed_at is not None
    client.post("/accounts/logout/")
    assert _sign_in("admin", new).get("/").status_code == 200


def test_password_change_page_for_everyone(make_user) -> None:
    make_user("viewer", username="quinn")
    client = _sign_in("quinn")
    assert client.get("/").status_code == 200
    assert client.get("/accounts/password/").status_code == 200
    new = "another-long-passphrase-7"
    client.post("/accounts/password/", {"old_password": "pw-for-tests", "new_password1": new, "new_password2": new})
    assert AccountSecurity.objects.get(user__username="quinn").password_changed_at is not None
    client.post("/accounts/logout/")
    assert Client().post(LOGIN, {"username": "quinn", "password": "pw-for-tests"}).status_code == 200
    assert _sign_in("quinn", new).get("/").status_code == 200


@pytest.mark.django_db
def test_verification_codes_are_throttled_by_the_device(make_user) -> None:
    user = make_user("viewer", username="rae")
    device = services.mfa_totp_start(user=user)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    assert services.mfa_verify(user=user, code=_wrong(device)) is None
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Even the right code is refused while the device waits after a failure (1 s, doubling with each one).
    assert services.mfa_verify(user=user, code=_code(device)) is None
    _wait_passes(device)
    assert services.mfa_verify(user=user, code=_code(device)) is not None
