"""Writes of the incidents app: every change of an incident goes through one of these functions."""

from incidents.services.common import StaleVersionError
from incidents.services.config import policy_delete, policy_save, severity_level_save
from incidents.services.deletion import incident_delete
from incidents.services.incidents import (
    group_prefill,
    incident_acknowledge,
    incident_create,
    incident_create_from_group,
    incident_link_group,
    incident_set_components,
    incident_set_roles,
    incident_set_timestamps,
    incident_transition,
    incident_unlink_group,
    incident_update,
)
from incidents.services.postmortems import (
    action_item_create,
    action_item_delete,
    action_item_update,
    postmortem_create,
    postmortem_transition,
    postmortem_update,
)
from incidents.services.updates import incident_resolve, status_update_post, timeline_note_add

__all__ = [
    "StaleVersionError",
    "action_item_create",
    "action_item_delete",
    "action_item_update",
    "group_prefill",
    "incident_acknowledge",
    "incident_create",
    "incident_create_from_group",
    "incident_delete",
    "incident_link_group",
    "incident_resolve",
    "incident_set_components",
    "incident_set_roles",
    "incident_set_timestamps",
    "incident_transition",
    "incident_unlink_group",
    "incident_update",
    "policy_delete",
    "policy_save",
    "postmortem_create",
    "postmortem_transition",
    "postmortem_update",
    "severity_level_save",
    "status_update_post",
    "timeline_note_add",
]
