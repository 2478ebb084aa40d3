"""Password sign-in (Django's ModelBackend), refused when ``SRE_LOCAL_LOGIN=false`` except for superusers.

Superusers keep password sign-in as the break-glass way in when the identity provider is down or misconfigured;
they reach the form at ``/accounts/login/?break-glass=1`` and still pass MFA. Refusing here (not only hiding the
form) also covers every other password form, such as the Django admin's.
"""

from __future__ import annotations

import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from sre.auth.roles import user_with_role

log = logging.getLogger(__name__)


class LocalPasswordBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not settings.SRE["LOCAL_LOGIN"] and not user.is_superuser:
            log.info("password sign-in refused for %s: SRE_LOCAL_LOGIN is false", user.pk)
            return None
        return user

    def get_user(self, user_id: Any) -> Any:
        """The session's user with their role (one query, not two)."""
        user = user_with_role(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, first in AUTHENTICATION_BACKENDS: a locked-out username or address is refused.

    Every sign-in over HTTP passes the request; a call without one (code and tests calling ``authenticate`` or the
    test client's ``login``) has no address to count and is left to the other backends instead of failing.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
