"""Choices shared across the project: roles and API token scopes."""

from django.db import models


class Role(models.TextChoices):
    """Roles are Django groups of the same name; each includes the rights of the ones before it."""

    VIEWER = "viewer", "Viewer"
    RESPONDER = "responder", "Responder"
    ADMIN = "admin", "Admin"


class TokenScope(models.TextChoices):
    """What an API token may do, on top of what its user's role allows."""

    INGEST = "ingest", "Ingest (write telemetry and alerts)"
    READ = "read", "Read"
    WRITE = "write", "Write"
