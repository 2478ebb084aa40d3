"""Deleting an incident: the one way an incident goes (``DELETE /api/v1/incidents/{id}/``, admins only)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from incidents.choices import OPEN_STATUSES, UpdateVisibility
from incidents.models import Incident
from incidents.services.common import incident_locked, status_page_refresh
from incidents.signals import incident_deleting
from sre.errors import ConflictError

logger = logging.getLogger(__name__)


def incident_delete(*, incident_id: int, actor: str, now: datetime) -> None:
    """Delete an incident declared by mistake (a duplicate, a test, noise) with all that hangs off it: timeline,
    status updates, postmortem, action items, alert-group links and component impacts.

    What someone coming from PagerDuty or Grafana OnCall expects, and what this does:

    - **It leaves a record.** The timeline goes with the incident, so the audit trail is the record: the
      incident's ``delete`` entry (its fields, who deleted it, through which token or session) and one per
      timeline entry, status update, postmortem and action item deleted with it (each of those models is
      tracked, so the deletion reads back in Settings → Audit as it happened).
    - **The public side goes first.** An *open* incident customers can see (it has a public update) is refused
      with 409: subscribers were told it is being worked on and would never hear that it is over, and the
      status page would drop it mid-story. Resolve it first (the resolution reaches the page and its
      subscribers), then delete it if it was a mistake; PagerDuty has no delete at all and Statuspage removes
      the public incident as its own step, so this keeps their order. An open incident nobody outside saw is
      deleted at once.
    - **The status page follows.** After the commit the status page syncs and re-renders (``incident_changed``):
      the page, its JSON and its feeds drop the incident, and component statuses are derived again without its
      impacts. Status overrides tied to the incident (``Component.override_incident``) are released before the
      row goes (``incident_deleting``), since the foreign key's ``SET_NULL`` would turn them into overrides that
      never end. Subscribers get no message: a deletion is a correction, not news.
    - The alert groups it linked stay as they are: they have their own lifecycle.

    ``actor`` and ``now`` are logged with the id; the audit entries take the actor from the request."""
    with transaction.atomic():
        incident = incident_locked(incident_id=incident_id)
        public_updates = incident.updates.filter(visibility=UpdateVisibility.PUBLIC).count()
        if public_updates and incident.status in OPEN_STATUSES:
            raise ConflictError(
                "Customers can see this incident on the status page and it is still open: resolve it first "
                "(the resolution reaches the page and its subscribers), then delete it.",
                fields={"status": [f"Open ({incident.status}) with {public_updates} public update(s)."]},
            )
        incident_deleting.send(sender=Incident, incident_id=incident.pk, now=now)
        incident.delete()
        status_page_refresh()
    logger.info(
        "incident %s deleted by %s at %s (public updates: %s)", incident_id, actor, now.isoformat(), public_updates
    )
