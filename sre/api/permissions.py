"""One permission class for every API view: the user's role and, for tokens, the token's scopes.

A view may declare ``access``: a mapping from action (viewsets) or lowercase method to ``Access``. The
default is: reading needs ``read`` scope and the viewer role; writing needs ``write`` scope and the admin
role (configuration). Commands (acknowledge, resolve, …) declare the responder role; ingest endpoints
declare the ``ingest`` scope; reading admin-only data needs ``read`` scope and the admin role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from sre.auth.roles import user_role
from sre.choices import Role, TokenScope
from sre.domain.roles import role_allows
from sre.models import ApiToken


@dataclass(frozen=True)
class Access:
    scope: TokenScope
    role: Role


READ = Access(TokenScope.READ, Role.VIEWER)
READ_ADMIN = Access(TokenScope.READ, Role.ADMIN)  # reading what only admins may see (personal data)
CONFIGURE = Access(TokenScope.WRITE, Role.ADMIN)
RESPOND = Access(TokenScope.WRITE, Role.RESPONDER)
INGEST = Access(TokenScope.INGEST, Role.VIEWER)
OWN = Access(TokenScope.WRITE, Role.VIEWER)


def required_access(request: Request, view: Any) -> Access:
    table: dict[str, Access] = getattr(view, "access", {}) or {}
    action = getattr(view, "action", None)
    for key in (action, request.method.lower()):
        if key and key in table:
            return table[key]
    return READ if request.method in permissions.SAFE_METHODS else CONFIGURE


class RoleAndScopePermission(permissions.BasePermission):
    message = "You do not have permission to perform this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        need = required_access(request, view)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None and not token.has_scope(need.scope):
            self.message = f"This API token lacks the '{need.scope}' scope needed here."
            return False
        if not role_allows(have=user_role(user), need=need.role):
            self.message = f"This needs the {need.role} role; you have {user_role(user) or 'no role'}."
            return False
        return True
