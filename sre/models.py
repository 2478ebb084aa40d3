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
