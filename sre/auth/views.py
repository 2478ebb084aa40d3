"""Role checks for HTML views."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from sre.auth.roles import user_has_role
from sre.choices import Role


class RoleRequiredMixin(AccessMixin):
    """GET/HEAD need ``read_role``; other methods need ``write_role``."""

    read_role: Role = Role.VIEWER
    write_role: Role = Role.ADMIN

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        need = self.read_role if request.method in ("GET", "HEAD", "OPTIONS") else self.write_role
        if not user_has_role(request.user, need):
            raise PermissionDenied(f"This page needs the {need.label.lower()} role.")
        return super().dispatch(request, *args, **kwargs)
