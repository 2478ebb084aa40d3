"""Exports: the timeline as CSV rows, the postmortem as a Markdown document."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date

from incidents.models import ActionItem, Postmortem
from incidents.selectors import TimelineItem, incident_action_items
from sre.domain.csv_cells import csv_cell

CSV_HEADER = ["time_utc", "kind", "kind_label", "actor", "source", "message"]


def timeline_csv_rows(items: Iterable[TimelineItem]) -> list[list[str]]:
    rows = [CSV_HEADER]
    for item in items:
        rows.append(
            [
                item.at.astimezone(UTC).isoformat(),
                item.kind,
                csv_cell(item.kind_label),
                csv_cell(item.actor),
                item.source,
                csv_cell(item.message),
            ]
        )
    return rows


def _item_line(item: ActionItem, *, today: date) -> str:
    check = "x" if item.status in ("done", "wont_do") else " "
    parts = [f"- [{check}] **{item.title}**", f"{item.get_priority_display()}", item.get_status_display()]
    if item.owner_id:
        parts.append(f"owner {item.owner.get_username()}")
    if item.due_date:
        overdue = item.due_date < today and item.status not in ("done", "wont_do")
        parts.append(f"due {item.due_date.isoformat()}{' (OVERDUE)' if overdue else ''}")
    if item.link:
        parts.append(f"<{item.link}>")
    return " · ".join(parts)


def postmortem_markdown(postmortem: Postmortem, *, today: date) -> str:
    """The postmortem body, a header with its state, and the action items as a checklist."""
    incident = postmortem.incident
    items = incident_action_items(incident_id=incident.pk)
    header = [
        f"<!-- Incident #{incident.pk}: {incident.title} · postmortem {postmortem.get_state_display().lower()}"
        + (
            f", published {postmortem.published_at:%Y-%m-%d} by {postmortem.published_by}"
            if postmortem.published_at
            else ""
        )
        + " -->",
        "",
    ]
    body = postmortem.body.rstrip() + "\n"
    tail = ["", "## Action items (tracked)", ""]
    tail += [_item_line(item, today=today) for item in items] or ["_None yet._"]
    return "\n".join(header) + body + "\n".join(tail) + "\n"
