"""Pure identity rules: the role an identity provider's groups give, and the step a signed-in session still owes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sre.domain.roles import role_rank

STEP_VERIFY = "verify"  # a local sign-in of a user with MFA: the second factor is still due
STEP_PASSWORD = "password"  # noqa: S105 (a step name) the one-time password must be changed first
STEP_ENROL = "enrol"  # SRE_REQUIRE_MFA and no device yet: set one up first

_NON_DIGITS = re.compile(r"[\s-]+")


def role_from_groups(*, groups: object, role_map: Mapping[str, str]) -> str | None:
    """The highest role that any of ``groups`` maps to, or ``None``.

    ``groups`` is the claim as the provider sent it: a list of names, or one name as a string. Anything else
    (missing, null, a number, an object) gives no role, so a provider that stops sending the claim never leaves
    anyone with more than they would get with no groups at all.
    """
    if isinstance(groups, str):
        names: Iterable[object] = [groups]
    elif isinstance(groups, list | tuple):
        names = groups
    else:
        return None
    roles = [role_map[name] for name in names if isinstance(name, str) and name in role_map]
    ranked = sorted((role_rank(role), role) for role in roles if role_rank(role))
    return ranked[-1][1] if ranked else None


def identity_next_step(
    *, sso: bool, must_change_password: bool, has_device: bool, verified: bool, require_mfa: bool
) -> str | None:
    """What a signed-in session must do before anything else, or ``None``.

    Single sign-on sessions owe nothing here: the identity provider asks for its own second factor and owns the
    password. Local sessions verify their device first (so a stolen password alone changes nothing), then change a
    one-time password, then enrol when MFA is required.
    """
    if sso:
        return None
    if has_device and not verified:
        return STEP_VERIFY
    if must_change_password:
        return STEP_PASSWORD
    if require_mfa and not has_device:
        return STEP_ENROL
    return None


def otp_code_normalise(code: str) -> str:
    """What the user typed, without spaces and dashes, lower case (recovery codes are shown grouped)."""
    return _NON_DIGITS.sub("", code).lower()
