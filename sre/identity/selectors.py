"""Reads of sign-in security: a person's two-factor devices (django-otp) as the Security page shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


@dataclass(frozen=True)
class MfaState:
    enabled: bool  # a confirmed authenticator app
    recovery_left: int  # unused recovery codes
    pending: TOTPDevice | None  # the authenticator being enrolled (not confirmed yet), if any


def mfa_enabled(*, user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(device: StaticDevice) -> int:
    """Unused codes of a recovery-code device."""
    return device.token_set.count()


def mfa_state(*, user: Any, pending_device_id: int | None) -> MfaState:
    """The person's two-factor state; ``pending_device_id`` is the enrolment the session is in the middle of."""
    pending = None
    if pending_device_id:
        pending = TOTPDevice.objects.filter(user=user, pk=pending_device_id, confirmed=False).first()
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return MfaState(
        enabled=mfa_enabled(user=user),
        recovery_left=recovery_codes_left(static) if static else 0,
        pending=pending,
    )
