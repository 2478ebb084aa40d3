"""Writes of the identity features: the forced password change, TOTP devices and recovery codes.

Every function here is the one write path for its state; views and commands call them and nothing else touches
``AccountSecurity``, ``TOTPDevice`` or ``StaticDevice`` rows.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sre.domain.identity import otp_code_normalise
from sre.models import AccountSecurity

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def account_security_get(*, user: AbstractBaseUser) -> AccountSecurity:
    """The user's row, created empty on first use."""
    security, _ = AccountSecurity.objects.get_or_create(user=user)
    return security


def password_change_require(*, user: AbstractBaseUser) -> None:
    """The user must change their password at their next sign-in (set for the one-time bootstrap password)."""
    AccountSecurity.objects.update_or_create(user=user, defaults={"must_change_password": True})


def password_changed(*, user: AbstractBaseUser, now: dt.datetime) -> None:
    """Record that the user chose a new password; clears the forced change."""
    AccountSecurity.objects.update_or_create(
        user=user, defaults={"must_change_password": False, "password_changed_at": now}
    )


def mfa_totp_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """An unconfirmed TOTP device with a fresh secret, replacing any earlier unconfirmed one.

    It does nothing at sign-in until ``mfa_totp_confirm`` accepts a code from it.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def mfa_totp_confirm(*, user: AbstractBaseUser, device_id: int, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the unconfirmed device when ``code`` is current; returns it with new recovery codes, else ``None``.

    Confirming replaces any earlier confirmed TOTP device (one authenticator per user) and issues a fresh set of
    recovery codes.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False).first()
        if device is None or not device.verify_token(otp_code_normalise(code)):
            return None
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = mfa_recovery_codes_generate(user=user)
    return device, codes


def mfa_recovery_codes_generate(*, user: AbstractBaseUser) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODE_COUNT`` new ones; each works once.

    Only the codes are returned; the caller shows them once.
    """
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def mfa_verify(*, user: AbstractBaseUser, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts ``code`` (a current TOTP code, or an unused recovery code, which is then spent).

    Each device throttles its own failures (django-otp doubles the wait after each one), so guessing is slow.
    """
    normalised = otp_code_normalise(code)
    if not normalised:
        return None
    kinds = (TOTPDevice,) if normalised.isdigit() else (StaticDevice,)
    for kind in kinds:
        for device in kind.objects.filter(user=user, confirmed=True):
            accepted = verify_token(user, device.persistent_id, normalised)
            if accepted is not None:
                return accepted
    return None


def mfa_disable(*, user: AbstractBaseUser) -> int:
    """Remove every TOTP device and recovery code of the user; returns how many devices went."""
    with transaction.atomic():
        _, totp = TOTPDevice.objects.filter(user=user).delete()
        _, static = StaticDevice.objects.filter(user=user).delete()
    return totp.get("otp_totp.TOTPDevice", 0) + static.get("otp_static.StaticDevice", 0)
