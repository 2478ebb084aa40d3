"""What the incidents app tells the apps above it, without knowing them.

``incident_changed`` is sent after every change of an incident (``incident_touch``) and after a delete; the
status page connects to it in ``statuspage.apps`` to re-render once the transaction commits. A signal keeps the
dependency pointing from the status page to incidents (see the import contracts in pyproject.toml)."""

from django.dispatch import Signal

incident_changed = Signal()

# Sent inside the transaction of ``incidents.services.incident_delete``, before the row goes, with ``incident_id``
# and ``now``: receivers release what they tie to the incident (the status page's component overrides).
incident_deleting = Signal()
