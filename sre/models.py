"""Project-wide models: API tokens and background heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sre.choices import TokenScope


class ApiToken(models.Model):
    """A bearer token for the API.

    Invariants: only the SHA-256 of the token is stored (``digest``); ``prefix`` is the public lookup part.
    A token acts as its user, limited further by ``scopes``; it stops working once ``revoked_at`` is set or
    ``expires_at`` has passed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=10)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["prefix"], name="sre_apitoken_prefix_unique")]

    def __str__(self) -> str:
        return f"{self.name} (sre_{self.prefix}_…)"

    def has_scope(self, scope: TokenScope | str) -> bool:
        return str(scope) in self.scopes


class Heartbeat(models.Model):
    """The last time a kind of background work proved it runs (``name`` e.g. ``worker``)."""

    name = models.CharField(max_length=50)
    last_seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name"], name="sre_heartbeat_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class AccountSecurity(models.Model):
    """Sign-in state of one user that Django's user model has no place for.

    Invariants: ``must_change_password`` is set for the bootstrap admin (``ensure_admin``, ``make run``) and cleared
    only when that user changes their password on the password-change page; while set, the identity middleware sends
    them nowhere else. ``oidc_subject`` (``"<issuer> <sub>"``) ties the account to one identity at the OpenID
    provider: once set, single sign-on into this account accepts only that identity.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_security")
    must_change_password = models.BooleanField(default=False)
    oidc_subject = models.CharField(max_length=512, blank=True, default="")
    password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_subject"],
                condition=~models.Q(oidc_subject=""),
                name="sre_accountsecurity_oidc_subject_unique",
            )
        ]

    def __str__(self) -> str:
        return f"security of user {self.user_id}"
