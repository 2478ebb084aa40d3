"""Choices of the releases app."""

from django.db import models


class WatchState(models.TextChoices):
    """Where a deployment's release-burn watch stands (``releases.services.deployments``)."""

    WATCHING = "watching", "Watching"
    BURNING = "burning", "Burning: ReleaseBurn firing"
    BURNED = "burned", "Burned (watch over)"
    CLEAN = "clean", "Clean"
    UNWATCHED = "unwatched", "Not watched"


class RollbackState(models.TextChoices):
    """The rollback webhook call of a deployment: at most one attempt, recorded on the row."""

    NONE = "none", "No call (no rollback webhook)"
    PENDING = "pending", "Queued"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class GateDecision(models.TextChoices):
    ALLOW = "allow", "Allow"
    DENY = "deny", "Deny"
