"""Choices of the audit trail."""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    # Changes (model signals)
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    # Sensitive access and events of their own
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOGOUT = "logout", "Signed out"
    TOKEN_USE = "token_use", "API token used"
    ROLE_CHANGE = "role_change", "Role changed"
    SECRET_REVEAL = "secret_reveal", "Secret revealed"
    EXPORT = "export", "Exported"
    KEY_ROTATION = "key_rotation", "Encryption key rotated"
    RETENTION = "retention", "Old entries pruned"


class ActorKind(models.TextChoices):
    USER = "user", "User"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous"


class Via(models.TextChoices):
    SESSION = "session", "Browser session"
    TOKEN = "token", "API token"
    SYSTEM = "system", "Task or command"
    ANONYMOUS = "anonymous", "No session"
