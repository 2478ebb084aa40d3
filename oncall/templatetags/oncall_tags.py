"""Template tags of the oncall app for other apps' pages (the alert group page's "On call" card)."""

from __future__ import annotations

from django import template

from oncall.selectors import group_escalations

register = template.Library()


@register.simple_tag
def group_oncall(group_id: int) -> dict:
    """The group's escalations (newest first) with the people paged and the ledger rows, for its page."""
    return group_escalations(group_id=group_id)
