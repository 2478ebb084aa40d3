"""Writes of the releases app. Every state change goes through one of these functions:

- ``policies``: ``policy_save``, ``policy_delete`` (admin);
- ``gate``: ``override_create``, ``override_revoke`` (responder);
- ``deployments``: ``deployment_record``, ``deployments_watch``, ``deployment_rollback``;
- ``notices``: ``budget_notices_evaluate``;
- ``releases_evaluate``: what the ``releases.evaluate`` beat task runs.
"""

from __future__ import annotations

import datetime as dt

from releases.services.deployments import deployments_watch, rollbacks_requeue
from releases.services.notices import budget_notices_evaluate


def releases_evaluate(*, now: dt.datetime) -> dict:
    """Threshold notices from every SLO's last evaluation, the release-burn watch of recent deployments, and
    rollback calls whose task was lost. Idempotent: a second run at the same ``now`` sends nothing new."""
    return {
        "notices": budget_notices_evaluate(now=now),
        "watch": deployments_watch(now=now),
        "requeued": rollbacks_requeue(now=now),
    }
